"""The sampler lists the threads' frames, and makes frame objects for them, with the
garbage collector off (CPython 3.11 before 3.11.9 can hang when a collection starts
inside ``sys._current_frames``; see ``scopetel._profiling.sampler.current_frames``; and
a collection while a frame object is being made can let the frame's thread free it)."""

import gc
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from scopetel._events.stacktrace import FrameOptions
from scopetel._profiling import sampler
from scopetel._profiling.chunk import Chunk
from scopetel._profiling.frames import FrameRenderer
from scopetel._profiling.sampler import StackSampler


@pytest.fixture
def collector_state() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.fixture
def collector_during_listing(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the collector was on, each time the interpreter listed the frames."""
    seen: list[bool] = []
    real = sys._current_frames

    def listing() -> dict[int, FrameType]:
        seen.append(gc.isenabled())
        return real()

    monkeypatch.setattr(sys, "_current_frames", listing)
    return seen


def test_the_collector_is_off_while_the_frames_are_listed_and_on_again_after(
    collector_during_listing: list[bool], collector_state: None
) -> None:
    gc.enable()
    frames = sampler.current_frames()
    assert collector_during_listing == [False]
    assert gc.isenabled()
    assert threading.get_ident() in frames


def test_a_collector_the_application_switched_off_stays_off(
    collector_during_listing: list[bool], collector_state: None
) -> None:
    gc.disable()
    sampler.current_frames()
    assert collector_during_listing == [False]
    assert not gc.isenabled()


def test_the_collector_is_on_again_when_listing_fails(
    monkeypatch: pytest.MonkeyPatch, collector_state: None
) -> None:
    def failing() -> dict[int, FrameType]:
        raise MemoryError

    monkeypatch.setattr(sys, "_current_frames", failing)
    gc.enable()
    with pytest.raises(MemoryError):
        sampler.current_frames()
    assert gc.isenabled()


@pytest.fixture
def collector_while_resolving(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the collector was on, each time a new stack was resolved (frame objects
    made for other threads' frames: a collection then could free one under CPython)."""
    seen: list[bool] = []
    real = Chunk.resolve

    def resolve(self: Chunk, *args: Any) -> int | None:
        seen.append(gc.isenabled())
        return real(self, *args)

    monkeypatch.setattr(Chunk, "resolve", resolve)
    return seen


@pytest.mark.parametrize("enabled", [True, False])
def test_a_pass_makes_frame_objects_with_the_collector_paused(
    gil_walk: str, collector_while_resolving: list[bool], collector_state: None, enabled: bool
) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, args=(10,))
    other.start()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        passes = StackSampler(FrameRenderer(FrameOptions()), threading.get_ident())
        chunk = Chunk()
        passes.sample(chunk)  # new stacks: resolved
        assert collector_while_resolving and not any(collector_while_resolving)
        assert gc.isenabled() is enabled
        resolved = len(collector_while_resolving)
        passes.sample(chunk)  # the same threads where they were: nothing to resolve
        assert gc.isenabled() is enabled
        if gil_walk == "threads":
            assert len(collector_while_resolving) == resolved
        assert other.ident in chunk.thread_ids
    finally:
        stop.set()
        other.join(10)
