"""Arguments at the API boundary: whatever the caller passed, as the type the API needs.

Every runtime entry point of scopetel accepts any Python value. These helpers turn an
argument into what the API works with (a name given as ``12345`` becomes ``"12345"``),
or drop it, and say so with one debug line on logger ``scopetel``; they never raise,
whatever the value's ``__str__``, ``__repr__``, ``__bool__``, ``__iter__`` … do.

Each helper first checks the common case with ``type(value) is ...``, so a caller
passing the right type pays one comparison.
"""

import logging
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from scopetel._serialize import broken_repr_placeholder, safe_repr, safe_str

LOGGER: Final = logging.getLogger("scopetel")

MAX_TEXT: Final = 8192  # characters kept of a name, op or message given as another type
MIN_TIMESTAMP: Final = 0.0  # seconds since the epoch: Relay rejects earlier ones
MAX_TIMESTAMP: Final = 4_102_444_800.0  # 2100-01-01: OTLP and Relay both hold it
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
MAX_WAIT: Final = 1e9  # seconds: longer waits are "wait until done" (about 31 years)


def dropped(what: str, value: object, why: str) -> None:
    """The one debug line for an argument that was dropped or replaced."""
    if LOGGER.isEnabledFor(logging.DEBUG):
        LOGGER.debug("scopetel: %s: %s %s", what, why, safe_repr(value, 200))


def text(value: object, what: str) -> str:
    """``value`` as an exact ``str`` that UTF-8 can encode (lone surrogates escaped, or
    an OTLP export of the span fails): bytes decoded, anything else by ``str()``."""
    if type(value) is str and value.isascii():  # isascii() reads a flag: O(1)
        return value
    return _other_text(value, what)


def optional_text(value: object, what: str) -> str | None:
    """Like :func:`text`, keeping ``None`` as None."""
    if value is None or (type(value) is str and value.isascii()):
        return value
    return _other_text(value, what)


def _other_text(value: object, what: str) -> str:
    if isinstance(value, str):  # a subclass: its own methods may do anything
        plain = str.__getitem__(value, slice(0, None))
        if _SURROGATE.search(plain) is None:
            return plain
        return plain.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value[:MAX_TEXT]).decode("utf-8", "replace")
        except Exception:
            return broken_repr_placeholder(value)
    result = safe_str(value, MAX_TEXT)
    dropped(what, value, "expected a string; converted")
    return result


def pairs(value: object, what: str) -> list[tuple[object, object]]:
    """The (key, value) pairs of a mapping argument; none (and a debug line) for anything
    else, or when the mapping fails to give them."""
    if type(value) is dict:
        return list(value.items())
    if value is None:
        return []
    if isinstance(value, Mapping):
        try:
            return list(value.items())
        except Exception:
            dropped(what, value, "could not read the entries of")
            return []
    dropped(what, value, "expected a dict; ignored")
    return []


def as_dict(value: object, what: str) -> dict[object, object]:
    """A plain dict copy of a mapping argument (empty for anything else)."""
    return dict(pairs(value, what))


def seconds_since_epoch(value: object, what: str, *, naive_utc: bool = False) -> float | None:
    """A timestamp (datetime or number of seconds) Relay and OTLP accept; None otherwise.

    A naive datetime is local time, as Python reads it, or UTC with ``naive_utc``.
    """
    if value is None:
        return None
    seconds: float | None = None
    try:
        if isinstance(value, datetime):
            if naive_utc and value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            seconds = value.timestamp()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
    except Exception:  # datetime(1, 1, 1) in a zone east of UTC, an int beyond a float
        seconds = None
    if seconds is not None and MIN_TIMESTAMP <= seconds < MAX_TIMESTAMP:
        return seconds
    dropped(what, value, "not a timestamp between 1970 and 2100; ignored:")
    return None


def timestamp_ns(value: object, what: str) -> int | None:
    """:func:`seconds_since_epoch` in integer nanoseconds, as OpenTelemetry wants."""
    if value is None:
        return None
    seconds = seconds_since_epoch(value, what)
    return None if seconds is None else int(seconds * 1e9)


def wait_seconds(value: object, what: str, default: float) -> float:
    """A timeout in seconds: ``default`` for None or a non-number, at least 0, capped."""
    if value is None:
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:  # an int beyond a float: longer than any wait
            seconds = math.inf
        if 0.0 <= seconds <= MAX_WAIT:
            return seconds
        if not math.isnan(seconds):
            bounded = min(max(seconds, 0.0), MAX_WAIT)
            dropped(what, value, f"out of range; waiting {bounded} s instead of")
            return bounded
    dropped(what, value, f"not a number of seconds; using {default}:")
    return default


def finite_number(value: object, what: str) -> float | None:
    """A finite int or float as a float; None (and a debug line) for anything else."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number
    dropped(what, value, "not a finite number; ignored:")
    return None


def text_headers(carrier: object, what: str) -> dict[str, str | bytes | list[str | bytes]]:
    """The text values of a headers mapping or WSGI environ (others, like
    ``wsgi.input``, are not headers); the application's objects are never called."""
    headers: dict[str, str | bytes | list[str | bytes]] = {}
    for key, value in pairs(carrier, what):
        if type(value) is list or type(value) is tuple:
            headers[text(key, "header")] = [
                item for item in value if type(item) is str or type(item) is bytes
            ]
        elif type(value) is str or type(value) is bytes:
            headers[text(key, "header")] = value
        elif isinstance(value, str):
            headers[text(key, "header")] = text(value, "header value")
    return headers
