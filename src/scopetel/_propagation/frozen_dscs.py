"""The dynamic sampling context of each trace, frozen the first time it is needed.

Sentry's DSC is decided by the head of a trace and must not change afterwards: what
went out in ``baggage`` must equal the ``trace`` header of every envelope of that
trace sent later (follow-up transactions included). Keyed by trace id, bounded.
"""

from collections import OrderedDict
from collections.abc import Callable

from scopetel._fork_safety import ForkSafeLock
from scopetel._propagation.dsc import DynamicSamplingContext

MAX_TRACES = 10_000


class FrozenDscs:
    """Per trace id, the first DSC asked for; least recently used traces are forgotten."""

    def __init__(self, max_traces: int = MAX_TRACES) -> None:
        self._max = max_traces
        self._lock = ForkSafeLock()
        self._by_trace: OrderedDict[int, DynamicSamplingContext] = OrderedDict()

    def freeze(
        self, trace_id: int, build: Callable[[], DynamicSamplingContext]
    ) -> DynamicSamplingContext:
        """The DSC frozen for ``trace_id``; ``build()`` makes it the first time."""
        with self._lock:
            found = self._by_trace.get(trace_id)
            if found is not None:
                self._by_trace.move_to_end(trace_id)
                return found
        dsc = build()  # outside the lock: it may read span attributes and options
        with self._lock:
            found = self._by_trace.setdefault(trace_id, dsc)
            if len(self._by_trace) > self._max:
                self._by_trace.popitem(last=False)
            return found
