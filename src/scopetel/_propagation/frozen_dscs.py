"""The dynamic sampling context of each trace, frozen the first time it is needed.

Sentry's DSC is decided by the head of a trace and must not change afterwards: what
went out in ``baggage`` must equal the ``trace`` header of every envelope of that
trace sent later (follow-up transactions included). Keyed by trace id, bounded.

The table keeps each DSC as a plain tuple of its strings, which the cyclic garbage
collector stops tracking; only the few most recent traces keep their object. As
objects, 10,000 traces' DSCs were visited at every full collection: in a process whose
start-up objects are frozen (as pre-fork servers do), ~20 µs a request
(``benchmarks/RESULTS.md``). A trace found only as a tuple is rebuilt (~2 µs).
"""

from collections import OrderedDict
from collections.abc import Callable
from operator import attrgetter
from threading import get_ident
from typing import Final

from scopetel._fork_safety import ForkSafeLock
from scopetel._propagation.dsc import DynamicSamplingContext

MAX_TRACES = 10_000
MAX_OBJECTS: Final = 64  # traces whose DSC object is kept (most recently frozen or found)

Frozen = tuple[str | tuple[tuple[str, str], ...] | None, ...]
_FIELDS: Final = attrgetter(*DynamicSamplingContext.__dataclass_fields__)


def frozen(dsc: DynamicSamplingContext) -> Frozen:
    """The DSC's values, in field order (``DynamicSamplingContext(*frozen(dsc))``)."""
    return _FIELDS(dsc)


class _HeldLock(ForkSafeLock):
    """The table's lock, knowing which thread holds it."""

    __slots__ = ("holder",)

    def __init__(self) -> None:
        super().__init__()
        self.holder = 0  # the thread holding it (0: none)

    def _renew(self) -> None:
        super()._renew()
        self.holder = 0

    def __enter__(self) -> bool:
        self._lock.acquire()
        self.holder = get_ident()
        return True

    def __exit__(self, *exc_info: object) -> None:
        self.holder = 0
        self._lock.release()


class FrozenDscs:
    """Per trace id, the first DSC asked for; least recently used traces are forgotten."""

    def __init__(self, max_traces: int = MAX_TRACES) -> None:
        self._max = max_traces
        self._lock = _HeldLock()
        self._by_trace: OrderedDict[int, Frozen] = OrderedDict()
        self._objects: dict[int, DynamicSamplingContext] = {}  # oldest first

    def freeze(
        self, trace_id: int, build: Callable[[], DynamicSamplingContext]
    ) -> DynamicSamplingContext:
        """The DSC frozen for ``trace_id``; ``build()`` makes it the first time.

        A collection can start while a thread holds the lock (any allocation of a
        tracked object may set one off) and run a finalizer that asks for a DSC in that
        thread (a span ended there): that call is given ``build()``'s DSC, unfrozen,
        instead of waiting for its own thread forever.
        """
        if self._lock.holder == get_ident():
            return build()
        with self._lock:
            values = self._by_trace.get(trace_id)
            if values is not None:
                self._by_trace.move_to_end(trace_id)
                dsc = self._objects.get(trace_id)
                if dsc is not None:
                    return dsc
        if values is None:
            dsc = build()  # outside the lock: it may read span attributes and options
            made = frozen(dsc)
            with self._lock:
                values = self._by_trace.setdefault(trace_id, made)
                if values is made:
                    if len(self._by_trace) > self._max:
                        self._by_trace.popitem(last=False)
                    self._keep(trace_id, dsc)
                    return dsc
                found = self._objects.get(trace_id)  # another thread froze it meanwhile
            if found is not None:
                return found
        dsc = DynamicSamplingContext(*values)  # type: ignore[arg-type]
        with self._lock:
            if self._by_trace.get(trace_id) is values:  # (not forgotten and frozen anew)
                self._keep(trace_id, dsc)
        return dsc

    def _keep(self, trace_id: int, dsc: DynamicSamplingContext) -> None:
        objects = self._objects
        objects[trace_id] = dsc
        if len(objects) > MAX_OBJECTS:
            del objects[next(iter(objects))]
