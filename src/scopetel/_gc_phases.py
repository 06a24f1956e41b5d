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
from _thread import get_ident  # (C: cheap enough for every delivery)
from collections.abc import Callable
from typing import Final

from scopetel._fork_safety import call_in_child


class _Phase:
    """Follows ``gc.callbacks``: the thread a collection runs in (0: none; never nested).

    Per thread: the callbacks are Python code, so the collecting thread can hand the GIL
    over inside one of them (or in a finalizer), and the threads running meanwhile are
    not collecting (a process-wide flag made their work deferred too, and a ``flush()``
    could return before it was delivered)."""

    __slots__ = ("thread",)

    def __init__(self) -> None:
        self.thread = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        self.thread = get_ident() if phase == "start" else 0


_phase: Final = _Phase()
gc.callbacks.append(_phase)


def collecting() -> bool:
    """True while a garbage collection (and the finalizers it runs) is in progress in
    this thread."""
    return _phase.thread == get_ident()


_queues: list[queue.SimpleQueue[Callable[[], None]]] = []
_worker: list[threading.Thread] = []
_start_lock: Final = threading.Lock()


def _queue() -> "queue.SimpleQueue[Callable[[], None]]":
    """The queue of deferred work, made on first use: in a forked child, after
    ``_forget``, so a gevent worker (which patches ``queue`` after gunicorn forks it)
    gets gevent's queue, whose ``get()`` yields instead of blocking every greenlet."""
    if not _queues:
        with _start_lock:
            if not _queues:
                _queues.append(queue.SimpleQueue())
    return _queues[0]


def _forget() -> None:
    """In a forked child: the parent's queue and helper thread are not this process's."""
    _queues.clear()
    _worker.clear()
    _phase.thread = 0  # a collection under way in another thread of the parent


call_in_child(_forget)


def defer(work: Callable[[], None]) -> None:
    """Run ``work`` soon in a helper thread (its own Context), never here."""
    _queue().put(work)
    current = _worker[0] if _worker else None
    if current is not None and (current.ident is None or current.is_alive()):
        return  # being started, or running
    # Neither is_alive() nor start() under the lock: both switch greenlets under gevent,
    # whose patched threads would then wait on a native lock and block the process.
    with _start_lock:
        if (_worker[0] if _worker else None) is not current:
            return  # another caller replaced it
        thread = threading.Thread(target=_drain, name="scopetel-deferred", daemon=True)
        _worker[:] = [thread]
    thread.start()


def settle(timeout: float) -> bool:
    """Wait (at most ``timeout`` s) until the work deferred so far has run: a ``flush()``
    delivers what finalizers ended too. True when it has (or none was deferred)."""
    current = _worker[0] if _worker else None
    if current is None or current is threading.current_thread():
        return True
    if current.ident is not None and not current.is_alive():  # ended: nothing will run
        return _queue().empty()
    done = threading.Event()  # (a helper being started runs it too)
    _queue().put(done.set)
    return done.wait(timeout)


def _drain() -> None:
    pending = _queue()
    while True:
        work = pending.get()
        with contextlib.suppress(Exception):  # work reports its own errors; live on
            work()
