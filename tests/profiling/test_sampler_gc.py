"""The sampler lists the threads' frames with the garbage collector off (CPython
3.11 before 3.11.9 can hang when a collection starts inside ``sys._current_frames``;
see ``scopetel._profiling.sampler.current_frames``)."""

import gc
import sys
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from scopetel._profiling import sampler


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
