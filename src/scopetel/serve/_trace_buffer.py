"""Holds OTLP spans per trace until the trace has been quiet for a moment, then hands it on.

Batching exporters split a trace over several requests (the root usually ends, and is
sent, last). Waiting until no span of a trace has arrived for ``settle`` seconds lets
the printer draw one tree per trace instead of fragments. Bounded: past ``max_spans``
buffered spans, the oldest traces are handed on at once. One daemon thread, started
with the first span, does the waiting; ``flush`` hands on everything immediately.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

from scopetel.serve._fields import as_dict, as_str
from scopetel.serve._records import Received

__all__ = ["TraceBuffer"]

DEFAULT_MAX_SPANS: Final = 50_000
LOGGER: Final = logging.getLogger("scopetel.serve")


class _Trace:
    __slots__ = ("last", "records")

    def __init__(self) -> None:
        self.records: list[Received] = []
        self.last = 0.0


class TraceBuffer:
    """Collects ``otlp_span`` records; calls ``emit`` with the records of settled traces."""

    def __init__(
        self,
        settle: float,
        emit: Callable[[list[Received]], None],
        *,
        max_spans: int = DEFAULT_MAX_SPANS,
    ) -> None:
        self._settle = settle
        self._emit = emit
        self._max_spans = max_spans
        self._traces: dict[str, _Trace] = {}  # insertion order: oldest first
        self._size = 0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, records: list[Received]) -> None:
        if self._settle <= 0:
            self._emit(records)
            return
        overflow: list[Received] = []
        now = time.monotonic()
        with self._changed:
            for record in records:
                trace_id = as_str(as_dict(record.payload).get("traceId"))
                trace = self._traces.get(trace_id)
                if trace is None:
                    trace = self._traces[trace_id] = _Trace()
                trace.records.append(record)
                trace.last = now
                self._size += 1
            while self._size > self._max_spans and self._traces:
                overflow += self._pop(next(iter(self._traces)))
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="scopetel-serve-traces", daemon=True
                )
                self._thread.start()
            self._changed.notify()
        if overflow:
            self._emit(overflow)

    def flush(self) -> None:
        """Hand on every buffered trace now."""
        with self._changed:
            due = [record for trace_id in list(self._traces) for record in self._pop(trace_id)]
        if due:
            self._emit(due)

    def close(self) -> None:
        """Stop the thread, then flush; idempotent."""
        with self._changed:
            self._closed = True
            self._changed.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self.flush()

    def _pop(self, trace_id: str) -> list[Received]:
        trace = self._traces.pop(trace_id)
        self._size -= len(trace.records)
        return trace.records

    def _run(self) -> None:
        while True:
            with self._changed:
                if self._closed:
                    return
                now = time.monotonic()
                due_ids = [i for i, t in self._traces.items() if now - t.last >= self._settle]
                due = [record for trace_id in due_ids for record in self._pop(trace_id)]
                if not due:
                    waits = [t.last + self._settle - now for t in self._traces.values()]
                    self._changed.wait(min(waits, default=None))
                    continue
            try:
                self._emit(due)  # outside the lock: printing may be slow
            except Exception:
                LOGGER.exception("scopetel serve: could not hand on OTLP spans")
