"""The event loops seen running since the asyncio instrumentation was enabled.

Weakly held: a loop that is garbage collected drops out. Snapshots and the tasks-alive
gauge look at these (a loop in another thread cannot be found any other way).
"""

import asyncio
import weakref
from typing import Final

from scopetel.instrumentation import ForkSafeLock

_lock: Final = ForkSafeLock()
_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def remember(loop: asyncio.AbstractEventLoop) -> None:
    with _lock:
        _loops.add(loop)


def known_loops() -> list[asyncio.AbstractEventLoop]:
    """The remembered loops that are not closed, plus the running one of this thread."""
    with _lock:
        loops = [loop for loop in list(_loops) if not loop.is_closed()]
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return loops
    return loops if running in loops else [running, *loops]
