"""One pass over every thread's stack into a chunk, with the GIL (``detached`` has the
passes without it, where they can run; this is the rest: event loops, other platforms).

Walking a stack is the cost of profiling, so an idle thread (blocked on a lock, a socket,
a queue) is not walked again and again: a frame object stays the same object while its
function runs, so when a thread's three innermost frames are the frames of its previous
sample (same ``id``, same instruction; the innermost of the same code, and not a
generator or coroutine, which can be resumed from another caller), the frames beneath
are suspended in the same calls and the previous stack is reused.

Frames are compared by ``id`` and never held from one sample to the next: a frame held
after its function returns would keep its local variables, and its callers', alive,
and run their finalizers later in this thread. The price is that a frame freed and
another allocated at the same address, for the same code at the same instruction, three
levels deep, reads as unchanged, and a sample may then be given the previous sample's
deeper callers. In a test built to provoke it (a thread alternating between two callers
of one helper chain, blocked at the same line) that never happened with three levels
compared; with two it did, once in 400 samples.

With ``scopetel-stackwalk``'s C extension built (a dependency; it is skipped where it
cannot be compiled), the key is computed in C, ~20 times faster than the Python walk,
for every thread in every pass: the shortcut above then costs more than it saves, and
the Python walk only runs for a key seen for the first time. Where it can also read
CPython's own frame structures (3.11 to 3.13), a whole pass is one call that makes no
frame object and appends the samples of known threads at known stacks to the chunk:
``sys._current_frames()`` then only runs in a pass that meets a new stack or thread, and
a busy thread's functions no longer pay for frame objects made under them (each is
copied out of the thread's stack when its function returns). It reads the threads of
the sampler's own interpreter (``sys._current_frames()`` lists every interpreter's).

Frame objects for other threads' frames are made with the garbage collector paused:
making one can start a collection whose finalizers let the GIL go, and the thread whose
frame the object is being made for may then return from it and free it under CPython's
feet (a crash seen under stress, through ``f_back``).
"""

import gc
import sys
import threading
from collections.abc import Iterable
from types import FrameType
from typing import Final

try:
    from scopetel_stackwalk import stack_hash as native_stack_hash
except ImportError:  # installed without its dependencies (``--no-deps``): the Python walk
    native_stack_hash = None
try:
    from scopetel_stackwalk import sample_threads as native_sample_threads
except ImportError:  # an older scopetel-stackwalk
    native_sample_threads = None

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
        # thread id -> (identity of the three innermost frames, stack index in the chunk)
        self._last: dict[int, tuple[tuple[int, ...], int]] = {}
        self._samples = 0
        self._stack_of = self._python_stack if native_stack_hash is None else self._native_stack

    def forget(self) -> None:
        """Drop the frames held for the shortcut (sampling pauses, or a chunk ends)."""
        self._last = {}
        self._chunk = None

    def sample(self, chunk: Chunk) -> None:
        """Add one sample per thread (but the sampler's) to ``chunk``."""
        if chunk is not self._chunk:
            self.forget()  # stack indices belong to a chunk
            self._chunk = chunk
        rest = None
        if native_sample_threads is not None:
            rest = self._sample_known(chunk)
            if rest is None:
                return
        collecting = gc.isenabled()
        if collecting:  # making frame objects for other threads (see current_frames)
            gc.disable()
        try:
            if rest is None:
                self._sample_frames(chunk)
            else:
                self._sample_rest(chunk, *rest)
        finally:
            if collecting:
                gc.enable()

    def _sample_frames(self, chunk: Chunk) -> None:
        """``sample()`` from ``sys._current_frames()``: a key per frame object."""
        current = current_frames()
        timestamp = chunk.now()
        tasks = running_tasks()
        names = chunk.thread_names
        stack_of, own = self._stack_of, self._own
        add_time, add_thread = chunk.timestamps.append, chunk.thread_ids.append
        add_stack, add_task = chunk.stack_ids.append, chunk.tasks.append
        for thread_id, top in current.items():
            if thread_id == own:
                continue
            stack = stack_of(chunk, thread_id, top)
            if stack is None:
                continue
            add_time(timestamp)
            add_thread(thread_id)
            add_stack(stack)
            add_task(tasks.get(thread_id))
            if thread_id not in names:
                name_threads(names, current)
        self._samples += 1
        last = self._last
        if last and not self._samples % _PRUNE_EVERY:  # forget threads that ended
            for thread_id in [t for t in last if t not in current]:
                del last[thread_id]

    def _sample_known(
        self, chunk: Chunk
    ) -> tuple[float, dict[int, str], list[tuple[int, int]]] | None:
        """Known threads at known stacks, sampled in one C call that makes no frame
        object; the timestamp, tasks and threads left for ``_sample_rest`` (None: none)."""
        timestamp = chunk.now()
        tasks = running_tasks()
        rest = native_sample_threads(  # type: ignore[misc]
            MAX_STACK_DEPTH,
            self._own,
            chunk.raw_stacks,
            chunk.thread_names,
            timestamp,
            tasks,
            chunk.timestamps,
            chunk.thread_ids,
            chunk.stack_ids,
            chunk.tasks,
        )
        self._samples += 1
        return None if not rest else (timestamp, tasks, rest)

    def _sample_rest(
        self, chunk: Chunk, timestamp: float, tasks: dict[int, str], rest: list[tuple[int, int]]
    ) -> None:
        """New threads and new stacks: resolved from their frame objects."""
        frames = current_frames()
        names = chunk.thread_names
        for thread_id, raw in rest:
            top = frames.get(thread_id)
            index = chunk.raw_stacks.get(raw)
            if index is None and top is not None:
                index = chunk.resolve(top, self._renderer, raw, MAX_STACK_DEPTH)
            if index is None:  # gone, or it ran in between (the GIL moved)
                continue
            chunk.timestamps.append(timestamp)
            chunk.thread_ids.append(thread_id)
            chunk.stack_ids.append(index)
            chunk.tasks.append(tasks.get(thread_id))
            if thread_id not in names:
                name_threads(names, frames)

    def _native_stack(self, chunk: Chunk, thread_id: int, top: FrameType) -> int | None:
        raw = native_stack_hash(top, MAX_STACK_DEPTH)  # type: ignore[misc]
        index = chunk.raw_stacks.get(raw)
        if index is None:  # None again if the thread ran in between (the GIL moved)
            index = chunk.resolve(top, self._renderer, raw, MAX_STACK_DEPTH)
        return index

    def _python_stack(self, chunk: Chunk, thread_id: int, top: FrameType) -> int | None:
        code, caller = top.f_code, top.f_back
        if caller is None:
            where: tuple[int, ...] = (id(top), id(code), top.f_lasti)
        else:
            outer = caller.f_back
            outer_lasti = -1 if outer is None else outer.f_lasti
            where = (id(top), id(code), top.f_lasti, id(caller), caller.f_lasti)
            where += (id(outer), outer_lasti)
        last = self._last
        previous = last.get(thread_id)
        if previous is not None and previous[0] == where:
            return previous[1]
        raw = hash(tuple(_key(top)))
        index = chunk.raw_stacks.get(raw)
        if index is None:
            index = chunk.resolve(top, self._renderer, raw, MAX_STACK_DEPTH)
            if index is None:
                return None
        if code.co_flags & _RESUMABLE:
            last.pop(thread_id, None)
        else:
            last[thread_id] = (where, index)
        return index


def _key(top: FrameType) -> list[int]:
    """``id(code), f_lasti`` of ``top`` and its callers, innermost first (a raw key's
    lanes; ``f_lasti`` is cheaper than ``f_lineno``, which scans the line table)."""
    key: list[int] = []
    add = key.append
    frame: FrameType | None = top
    while frame is not None:  # no depth count here: it costs more than the walk
        add(id(frame.f_code))
        add(frame.f_lasti)
        frame = frame.f_back
    if len(key) > 2 * MAX_STACK_DEPTH:  # a deep recursion: its innermost frames
        del key[2 * MAX_STACK_DEPTH :]
    return key


def name_threads(names: dict[int, str], current: Iterable[int]) -> None:
    """Record the name of every sampled thread not named yet ("" when it has none)."""
    known = {thread.ident: thread.name for thread in threading.enumerate()}
    for thread_id in current:
        if thread_id not in names:
            name = known.get(thread_id)
            names[thread_id] = name if isinstance(name, str) else ""


def current_frames() -> dict[int, FrameType]:
    """``sys._current_frames()`` with the garbage collector off while it runs.

    Before CPython 3.11.9 it holds the interpreter's thread-list lock while it makes
    each thread's frame object; making one can start a collection, whose finalizers may
    let the GIL go, and a thread that then takes the GIL and wants the thread-list lock
    (one starting or ending) waits forever, as does every other thread: the process
    hangs (python/cpython#106883, fixed upstream the same way; seen in this suite on
    3.11.7). A collector the application switched off stays off.
    """
    if not gc.isenabled():
        return sys._current_frames()
    gc.disable()
    try:
        return sys._current_frames()
    finally:
        gc.enable()
