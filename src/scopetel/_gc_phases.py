"""Whether the garbage collector is running, and work deferred until it is not.

CPython before 3.12 can free the mapping behind a ``contextvars.Context`` while setting
a variable in it, when a collection triggered by that very set runs a finalizer that
sets a variable in the same Context (python/cpython#148891; a segfault in
``hamt_node_bitmap_clone``). Finalizers do run scopetel's code: asyncio's "exception
was never retrieved" from ``Task.__del__``, log records written by ``__del__`` methods,
spans ended by abandoned generators. While a collection runs, scopetel therefore sets
no context variable in the current Context: work that must (delivering a finished
segment under ``suppress_instrumentation``) is handed to a helper thread instead.
"""

import contextlib
import gc
import queue
import threading
from collections.abc import Callable
from typing import Final


class _Phase:
    """Follows ``gc.callbacks``: a collection starts and stops (never nested)."""

    __slots__ = ("collecting",)

    def __init__(self) -> None:
        self.collecting = False

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        self.collecting = phase == "start"


_phase: Final = _Phase()
gc.callbacks.append(_phase)


def collecting() -> bool:
    """True while a garbage collection (and the finalizers it runs) is in progress."""
    return _phase.collecting


_deferred: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
_worker: list[threading.Thread] = []
_start_lock: Final = threading.Lock()


def defer(work: Callable[[], None]) -> None:
    """Run ``work`` soon in a helper thread (its own Context), never here."""
    _deferred.put(work)
    if not _worker or not _worker[0].is_alive():
        with _start_lock:
            if not _worker or not _worker[0].is_alive():
                thread = threading.Thread(target=_drain, name="scopetel-deferred", daemon=True)
                _worker[:] = [thread]
                thread.start()


def _drain() -> None:
    while True:
        work = _deferred.get()
        with contextlib.suppress(Exception):  # work reports its own errors; live on
            work()
