"""One pass over every thread's stack into a chunk: the sampler thread's inner loop.

Walking a stack is the cost of profiling, so a thread whose stack cannot have changed is
not walked again: when its innermost frame is the same frame object as last time, at the
same instruction, and is a plain function (not a generator or coroutine, which can be
resumed from another caller), the frames beneath it are suspended in calls, unchanged,
and the previous sample's stack is reused. Idle threads (blocked on a lock, a socket, a
queue) cost a dictionary lookup. The innermost frames are held until the next sample (or
until sampling pauses) so that identity is never confused by a reused address.
"""

import sys
import threading
from types import FrameType
from typing import Final

from scopetel._profiling.chunk import Chunk
from scopetel._profiling.frames import FrameRenderer
from scopetel._profiling.tasks import running_tasks

MAX_STACK_DEPTH: Final = 128  # innermost frames kept per stack, as sentry-sdk

# CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
_RESUMABLE: Final = 0x20 | 0x80 | 0x100 | 0x200
_PRUNE_EVERY: Final = 64


class StackSampler:
    """Samples every thread but its own; keeps the per-thread shortcut for one chunk."""

    def __init__(self, renderer: FrameRenderer, own_thread_id: int) -> None:
        self._renderer = renderer
        self._own = own_thread_id
        self._chunk: Chunk | None = None
        # thread id -> (innermost frame, its f_lasti, stack index in self._chunk)
        self._last: dict[int, tuple[FrameType, int, int]] = {}
        self._samples = 0

    def forget(self) -> None:
        """Drop the frames held for the shortcut (sampling pauses, or a chunk ends)."""
        self._last = {}
        self._chunk = None

    def sample(self, chunk: Chunk) -> None:
        """Add one sample per thread (but the sampler's) to ``chunk``."""
        if chunk is not self._chunk:
            self.forget()  # stack indices belong to a chunk
            self._chunk = chunk
        current = sys._current_frames()
        timestamp = chunk.now()
        tasks = running_tasks()
        last = self._last
        names = chunk.thread_names
        add = chunk.samples.append
        for thread_id, top in current.items():
            if thread_id == self._own:
                continue
            lasti = top.f_lasti
            previous = last.get(thread_id)
            if previous is not None and previous[0] is top and previous[1] == lasti:
                stack = previous[2]
            else:
                stack = self._index(chunk, top)
                if top.f_code.co_flags & _RESUMABLE:
                    last.pop(thread_id, None)
                else:
                    last[thread_id] = (top, lasti, stack)
            add((timestamp, thread_id, stack, tasks.get(thread_id)))
            if thread_id not in names:
                _name_threads(names, current)
        self._samples += 1
        if not self._samples % _PRUNE_EVERY:  # forget threads that ended (and their frames)
            for thread_id in [t for t in last if t not in current]:
                del last[thread_id]

    def _index(self, chunk: Chunk, top: FrameType) -> int:
        key: list[object] = []
        chain: list[FrameType] = []
        add_key, add_frame = key.append, chain.append
        frame: FrameType | None = top
        depth = MAX_STACK_DEPTH
        while frame is not None and depth:
            add_frame(frame)
            add_key(id(frame.f_code))
            add_key(frame.f_lineno)
            frame = frame.f_back
            depth -= 1
        stack_key = tuple(key)
        index = chunk.stack_index(stack_key)
        if index is None:
            index = chunk.add_stack(stack_key, chain, self._renderer)
        return index


def _name_threads(names: dict[int, str], current: dict[int, FrameType]) -> None:
    """Record the name of every sampled thread not named yet ("" when it has none)."""
    known = {thread.ident: thread.name for thread in threading.enumerate()}
    for thread_id in current:
        if thread_id not in names:
            name = known.get(thread_id)
            names[thread_id] = name if isinstance(name, str) else ""
