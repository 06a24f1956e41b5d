"""``DetachedSampler.learn_roots``: a thread's root data-stack chunk, which CPython never
frees while the thread is listed, is then copied with memcpy() instead of read through
the system call; never once a library that gives coroutines data stacks of their own
(greenlet, ...) was imported, as it frees them when one ends.

A process that imported greenlet (this suite's, where a test imports gevent) never
learns roots again, so each test here runs in a process of its own."""

import functools
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from other_frames import current_frames
from test_detached import drain, read_while_it_runs, recursing, run_until, sampler, teach_all
from test_sample_threads import parked
from test_stackwalk import python_key

FRESH = "SCOPETEL_STACKWALK_FRESH_PROCESS"


def in_a_fresh_process(test: Callable[[], None]) -> Callable[[], None]:
    """Run ``test`` in a pytest process of its own (only this file collected)."""

    @functools.wraps(test)
    def run() -> None:
        if os.environ.get(FRESH) == test.__name__:
            test()
            return
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"{Path(__file__)}::{test.__name__}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).parent,
            env={**os.environ, FRESH: test.__name__},
        )
        assert result.returncode == 0, result.stdout + result.stderr

    return run


def learned_roots(detached: Any) -> int:
    """``learn_roots()``, again while the sampler or the thread list is busy."""
    for _ in range(1000):
        learned = detached.learn_roots()
        if learned is not None:
            assert learned is not False, "a library that switches data stacks was imported"
            return int(learned)
        time.sleep(0.001)
    raise AssertionError("the thread list stayed busy")


@in_a_fresh_process
def test_a_learned_root_chunk_is_copied_and_keyed_as_the_gil_side_keys_it() -> None:
    detached = sampler()
    with parked(6) as top:
        worker = next(t for t, f in current_frames().items() if f is top)
        teach_all(detached, threads=list(current_frames()))
        run_until(detached, 2, lambda: detached.stats()["passes"] >= 2)
        assert detached.stats()["copied"] == 0  # read through the system call
        drain(detached)
        detached.reset(False)
        assert learned_roots(detached) >= 2  # this thread's and the worker's, at least
        run_until(detached, 3, lambda: detached.stats()["passes"] >= 5)
        (_, threads, _, _), records = drain(detached)
        expected = python_key(top, 128)
    assert detached.stats()["copied"] >= 1
    mine = {position for position, thread in enumerate(threads) if thread == worker}
    assert mine
    assert {raw for position, raw, _ in records if position in mine} == {expected}


@in_a_fresh_process
def test_a_stack_grown_past_its_root_chunk_is_still_read_whole() -> None:
    """Deep enough for CPython to push a second data-stack chunk: those frames are
    read through the system call, the root chunk's copied, one stack all the same."""
    detached = sampler()
    with parked(700) as top:
        worker = next(t for t, f in current_frames().items() if f is top)
        teach_all(detached, threads=list(current_frames()))
        assert learned_roots(detached) >= 2
        run_until(detached, 2, lambda: detached.stats()["samples"] >= 2)
        (_, threads, _, _), records = drain(detached)
        expected = python_key(top, 128)
    ((_, raw, lanes),) = [r for r in records if threads[r[0]] == worker and r[2] is not None]
    assert raw == expected and len(lanes) == 256


@in_a_fresh_process
def test_stacks_moving_across_chunks_are_read_as_stacks_they_were() -> None:
    """A thread recursing in and out of a second data-stack chunk (pushed and freed by
    CPython while passes read it), its root chunk copied: whole stacks it was in."""
    with recursing((5, 400, 20, 600, 1)):
        detached = sampler(max_depth=1024)
        stats = read_while_it_runs(detached, lambda: learned_roots(detached))
    # (a deep stack is read while it changes: about half of its samples are torn)
    assert stats["samples"] >= 50 and stats["copied"] >= 10


@in_a_fresh_process
def test_no_root_is_learned_once_greenlet_was_imported_even_if_taken_out_again() -> None:
    if importlib.util.find_spec("greenlet") is None:  # (not imported before: see below)
        pytest.skip("greenlet is not installed")
    detached = sampler()
    assert learned_roots(detached) >= 1
    import greenlet  # noqa: F401

    assert detached.learn_roots() is False
    del sys.modules["greenlet"]  # its extension stays loaded, greenlets still run
    for name in [name for name in sys.modules if name.startswith("greenlet.")]:
        del sys.modules[name]
    assert detached.learn_roots() is False
    assert sampler().learn_roots() is False  # for the process
