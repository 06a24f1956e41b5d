"""Reset per-process state in a child after ``os.fork()`` (pre-fork servers).

Locks held by another thread at the moment of a fork stay locked forever in the child,
and queues or buffers of the parent are the parent's to send: objects that own such
state register a reset, held weakly so that registering never keeps them alive.
"""

import os
import weakref
from collections.abc import Callable


def reset_in_child(reset: Callable[[], None]) -> None:
    """Call the bound method ``reset`` in every child forked later (while it lives)."""
    method = weakref.WeakMethod(reset)
    os.register_at_fork(after_in_child=lambda: _call_if_alive(method))


def _call_if_alive(method: weakref.WeakMethod[Callable[[], None]]) -> None:
    bound = method()
    if bound is not None:
        bound()
