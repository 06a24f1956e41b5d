"""Counts of discarded telemetry, reported to Sentry as ``client_report`` items."""

import threading
import time
from collections import Counter
from enum import StrEnum
from typing import Any

__all__ = ["ClientReports", "DiscardReason"]


class DiscardReason(StrEnum):
    """Why something was not delivered (Sentry's outcome reasons)."""

    RATELIMIT_BACKOFF = "ratelimit_backoff"
    QUEUE_OVERFLOW = "queue_overflow"
    NETWORK_ERROR = "network_error"
    SEND_ERROR = "send_error"
    BEFORE_SEND = "before_send"
    EVENT_PROCESSOR = "event_processor"
    SAMPLE_RATE = "sample_rate"
    BACKPRESSURE = "backpressure"


class ClientReports:
    """A thread-safe counter of discards by (reason, category)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, reason: str, category: str, quantity: int = 1) -> None:
        """Count ``quantity`` discarded things of ``category`` for ``reason``."""
        if quantity <= 0:
            return
        with self._lock:
            self._counts[(str(reason), category)] += quantity

    def restore(self, payload: dict[str, Any]) -> None:
        """Count again what a ``take()`` payload held (its envelope was not delivered)."""
        for entry in payload.get("discarded_events", ()):
            self.record(entry["reason"], entry["category"], entry["quantity"])

    def counts(self) -> dict[tuple[str, str], int]:
        """A copy of the current counts by (reason, category), without resetting them."""
        with self._lock:
            return dict(self._counts)

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._counts)

    def take(self) -> dict[str, Any] | None:
        """The ``client_report`` payload of everything counted so far, and reset; or None."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return None
        return {
            "timestamp": time.time(),
            "discarded_events": [
                {"reason": reason, "category": category, "quantity": quantity}
                for (reason, category), quantity in sorted(counts.items())
            ],
        }
