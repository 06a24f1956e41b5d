"""Test helpers for applications using scopetel (and for scopetel's own tests).

    from scopetel.testing import capture_envelopes

    def test_checkout():
        with capture_envelopes(traces_sample_rate=1.0) as transport:
            checkout()
        assert transport.events()[0]["tags"]["cart"] == "full"

``capture_envelopes`` calls ``scopetel.init`` with an in-memory transport; envelopes
are kept as :class:`scopetel_exporter_sentry.envelope.Envelope` objects. Transactions
are built in a background thread: reading the captured items first waits (up to
``wait_seconds``) until what is ready has been built, so a transaction whose root has
ended is there, as it would be with a synchronous SDK. ``scopetel.flush()`` also sends
transactions whose root ended while children are still open.
"""

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scopetel_exporter_sentry.envelope import Envelope, Item

from scopetel._init import init
from scopetel._setup.init import emitted, flush

__all__ = ["CapturingTransport", "capture_envelopes"]


class CapturingTransport:
    """A transport that keeps every envelope in memory and counts reported losses."""

    def __init__(self, wait_seconds: float = 5.0) -> None:
        self._lock = threading.Lock()
        self.envelopes: list[Envelope] = []
        self.lost: Counter[tuple[str, str]] = Counter()
        self.wait_seconds = wait_seconds

    def capture_envelope(self, envelope: Envelope) -> None:
        with self._lock:
            self.envelopes.append(envelope)

    def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
        with self._lock:
            self.lost[(reason, category)] += quantity

    def flush(self, timeout: float) -> bool:
        return True

    def close(self, timeout: float) -> None:
        return None

    def items(self, item_type: str | None = None) -> list[Item]:
        emitted(self.wait_seconds)
        with self._lock:
            envelopes = list(self.envelopes)
        return [
            item
            for envelope in envelopes
            for item in envelope.items
            if item_type is None or item.type == item_type
        ]

    def events(self) -> list[dict[str, Any]]:
        """Payloads of error/message events, in capture order."""
        return [item.json() for item in self.items("event")]

    def transactions(self) -> list[dict[str, Any]]:
        """Payloads of transaction events, in the order they were emitted."""
        return [item.json() for item in self.items("transaction")]

    def clear(self) -> None:
        with self._lock:
            self.envelopes.clear()
            self.lost.clear()


@contextmanager
def capture_envelopes(**init_options: Any) -> Iterator[CapturingTransport]:
    """``init(**init_options)`` with a :class:`CapturingTransport`; flush on exit."""
    transport = CapturingTransport()
    init(transport=transport, **init_options)
    try:
        yield transport
    finally:
        flush(timeout=5.0)
