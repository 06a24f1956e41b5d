"""Native threads, locks and sleep for the sampler, also under gevent's monkey-patching.

A sampler in a greenlet would only ever see itself running, and gevent's patched locks
must not be waited on from another OS thread; ``profiler_mode="gevent"`` (the default
when gevent has patched ``threading``) takes the originals gevent kept aside, as
sentry-sdk's gevent scheduler does with a native thread pool.
"""

import _thread
import contextlib
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

LOGGER: Final = logging.getLogger("scopetel")


@dataclass(frozen=True)
class Native:
    """The thread primitives of one mode (``thread`` or ``gevent``)."""

    mode: str
    start_thread: Callable[[Callable[[], None]], object]
    allocate_lock: Callable[[], Any]
    get_ident: Callable[[], int]
    sleep: Callable[[float], None]


def _start(function: Callable[[], None]) -> object:
    return _thread.start_new_thread(function, ())


_THREAD: Final = Native("thread", _start, _thread.allocate_lock, _thread.get_ident, time.sleep)


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    is_patched = getattr(monkey, "is_module_patched", None)
    return bool(is_patched is not None and is_patched("threading"))


def native(mode: str | None) -> Native:
    """The primitives for ``profiler_mode`` (None: gevent when it patched ``threading``)."""
    if mode == "gevent" or (mode is None and _gevent_patched()):
        try:
            from gevent.monkey import get_original  # type: ignore[import-untyped]
        except ImportError:
            LOGGER.warning("scopetel: profiler_mode='gevent' needs gevent; using threads")
            return _THREAD
        start_new, allocate, ident = get_original(
            "_thread", ["start_new_thread", "allocate_lock", "get_ident"]
        )

        def start(function: Callable[[], None]) -> object:
            return start_new(function, ())

        return Native("gevent", start, allocate, ident, get_original("time", "sleep"))
    return _THREAD


class Wakeup:
    """A binary semaphore on a native lock: ``set`` wakes one ``wait``, or the next one."""

    def __init__(self, primitives: Native) -> None:
        self._lock = primitives.allocate_lock()
        self._lock.acquire()

    def set(self) -> None:
        with contextlib.suppress(RuntimeError):  # already set
            self._lock.release()

    def wait(self, timeout: float | None) -> None:
        self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0))
