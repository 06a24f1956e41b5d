"""Sentry rate limits, per data category, from ``X-Sentry-Rate-Limits`` and ``Retry-After``.

``X-Sentry-Rate-Limits`` is a comma-separated list of
``retry_after:categories:scope[:reason_code[:namespaces]]`` where ``categories`` is a
``;``-separated list and an empty list means every category. A 429 without that header
limits every category for ``Retry-After`` seconds (60 when absent or unreadable).

The deadlines live in a dict that is replaced, never mutated, so readers need no lock
(and a ``fork()`` can never inherit a held one). Times come from a monotonic clock.
"""

import math
import time
from collections.abc import Callable, Mapping

__all__ = [
    "ALL_CATEGORIES",
    "DEFAULT_RETRY_AFTER",
    "RateLimits",
    "parse_rate_limits_header",
    "parse_retry_after",
]

DEFAULT_RETRY_AFTER = 60.0
ALL_CATEGORIES = ""  # the key under which a limit on every category is stored


def parse_retry_after(value: str | None, default: float = DEFAULT_RETRY_AFTER) -> float:
    """Seconds from a ``Retry-After`` header holding a number; ``default`` otherwise."""
    if value is None:
        return default
    try:
        seconds = float(value.strip())
    except ValueError:
        return default
    if not math.isfinite(seconds) or seconds < 0:
        return default
    return seconds


def parse_rate_limits_header(value: str) -> list[tuple[float, frozenset[str]]]:
    """Parse ``X-Sentry-Rate-Limits`` into (seconds, categories) pairs.

    An empty category set means every category. Malformed entries are skipped: the
    header comes from the server and must never break the transport.
    """
    limits: list[tuple[float, frozenset[str]]] = []
    for entry in value.split(","):
        fields = entry.strip().split(":")
        if len(fields) < 2 or not fields[0].strip():
            continue
        seconds = parse_retry_after(fields[0], default=-1.0)
        if seconds < 0:
            continue
        categories = frozenset(c.strip() for c in fields[1].split(";") if c.strip())
        limits.append((seconds, categories))
    return limits


class RateLimits:
    """Which data categories are blocked, and until when."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: Mapping[str, float] = {}

    def update(
        self,
        *,
        status: int,
        rate_limits: str | None = None,
        retry_after: str | None = None,
        now: float | None = None,
    ) -> bool:
        """Apply the headers of one response; return whether any limit was set."""
        now = self._clock() if now is None else now
        if rate_limits:
            pairs = parse_rate_limits_header(rate_limits)
        elif status == 429:
            pairs = [(parse_retry_after(retry_after), frozenset())]
        else:
            return False
        until = dict(self._until)
        for seconds, categories in pairs:
            for category in categories or (ALL_CATEGORIES,):
                until[category] = max(until.get(category, 0.0), now + seconds)
        self._until = until
        return bool(pairs)

    def is_limited(self, category: str, now: float | None = None) -> bool:
        """Whether items of ``category`` must not be sent at ``now`` (monotonic seconds)."""
        now = self._clock() if now is None else now
        until = self._until
        return until.get(category, 0.0) > now or until.get(ALL_CATEGORIES, 0.0) > now

    def limited_until(self, category: str) -> float:
        """Monotonic time until which ``category`` is limited (0.0 when it is not)."""
        until = self._until
        return max(until.get(category, 0.0), until.get(ALL_CATEGORIES, 0.0))
