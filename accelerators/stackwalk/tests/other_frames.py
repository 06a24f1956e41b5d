"""Frame objects for other threads' frames, made with the garbage collector paused, as
scopetel's sampler makes them: making one can start a collection whose finalizers let
the GIL go, and the thread may then return from that frame and free it under CPython's
feet. Seen in this suite as a segfault in a walk of ``f_back`` over a thread recursing
in and out of a second data-stack chunk (``test_stacks_moving_across_chunks_...``)."""

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection starts in the block (a collector already off stays off)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def current_frames() -> dict[int, FrameType]:
    """``sys._current_frames()``, the collector paused."""
    with collector_paused():
        return sys._current_frames()


def frames_under(top: FrameType | None) -> list[FrameType]:
    """``top`` and every frame under it (``f_back``), the collector paused."""
    frames: list[FrameType] = []
    with collector_paused():
        frame = top
        while frame is not None:
            frames.append(frame)
            frame = frame.f_back
    return frames
