"""Reset per-process state in a child after ``os.fork()`` (pre-fork servers).

Locks held by another thread at the moment of a fork stay locked forever in the child,
and queues or buffers of the parent are the parent's to send: objects that own such
state register a reset, held weakly so that registering never keeps them alive.
"""

import os
import threading
import weakref
from collections.abc import Callable


def reset_in_child(reset: Callable[[], None]) -> None:
    """Call the bound method ``reset`` in every child forked later (while it lives)."""
    method = weakref.WeakMethod(reset)
    os.register_at_fork(after_in_child=lambda: _call_if_alive(method))


def call_in_child(action: Callable[[], None]) -> None:
    """Call ``action`` in every child forked later (for state that lives as long as the
    process: what the parent recorded, or derived from its identity). Never raises."""
    os.register_at_fork(after_in_child=lambda: _quietly(action))


def _quietly(action: Callable[[], None]) -> None:
    try:
        action()
    except Exception:  # an after-fork hook must not print into the child's start
        return


def _call_if_alive(method: weakref.WeakMethod[Callable[[], None]]) -> None:
    bound = method()
    if bound is not None:
        bound()


class ForkSafeLock:
    """A lock that every forked child gets anew, unlocked.

    A ``threading.Lock`` held by another thread at the moment of ``fork()`` stays locked
    forever in the child (only the forking thread survives), so the child's first use
    of it hangs. For locks on cold paths (set-up, per-trace state); hot paths reset
    their own state with :func:`reset_in_child`.
    """

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        reset_in_child(self._renew)

    def _renew(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()
