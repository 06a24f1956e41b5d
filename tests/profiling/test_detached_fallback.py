"""Where the passes without the GIL cannot run (another OS, an unknown CPython, a
seccomp filter forbidding ``process_vm_readv``) or are switched off, the profiler
samples with the GIL."""

import threading
import time
from collections.abc import Generator
from typing import Any

import pytest

from scopetel._profiling import detached, session
from scopetel._profiling.detached import DetachedPasses
from scopetel._profiling.profiler import Profiler
from scopetel.profiler import start_profiler, stop_profiler
from tests.profiling.support import busiest_thread, init, samples_of, spin, wait_for_chunks
from tests.support.sentry_receiver import SentryReceiver


class Forbidden:
    EVENT_LOOP = 2
    BUSY = 5

    def __init__(self, *args: Any) -> None:
        raise OSError("process_vm_readv() cannot read this process")


def profile_spin(receiver: SentryReceiver, **options: Any) -> DetachedPasses | None:
    """Profile half a second of ``spin`` in this thread: the profiler's passes without
    the GIL (None: none), after checking the chunk shows the spinning."""
    init(receiver, profile_session_sample_rate=1.0, **options)
    start_profiler()
    spin(0.5)
    active = session._active
    assert active is not None
    passes = active.profiler._passes
    stop_profiler()
    (chunk,) = wait_for_chunks(receiver)
    assert busiest_thread(chunk, "spin") == str(threading.get_ident())
    return passes


def test_a_system_call_refused_means_passes_with_the_gil(
    receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detached, "DetachedSampler", Forbidden)
    asked = []
    ask = Profiler._detached_passes

    def counted(self: Profiler) -> DetachedPasses | None:
        asked.append(1)
        return ask(self)

    monkeypatch.setattr(Profiler, "_detached_passes", counted)
    assert profile_spin(receiver, profiler_detached=True) is None
    # found impossible once: not asked for again (under the profiler's lock) every pass
    assert 1 <= len(asked) <= 3


def test_passes_with_the_gil_when_switched_off(receiver: SentryReceiver) -> None:
    assert profile_spin(receiver, profiler_detached=False) is None


def test_the_passes_without_the_gil_are_used_by_default_where_they_can_be(
    receiver: SentryReceiver,
) -> None:
    if detached.detached_passes(8) is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    passes = profile_spin(receiver)
    assert passes is not None
    stats = passes.stats()
    assert stats["passes"] > 10 and stats["samples"] > 10


def test_threads_are_sampled_with_the_gil_while_the_code_search_goes_on(
    receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread computing between blocking calls runs code the passes without the GIL
    meet but were not taught: until a search finds it, they would skip the thread in
    most passes. Meanwhile passes with the GIL sample every thread (the search is
    made to take a second here, as the first one does in a large process)."""
    if detached.detached_passes(8) is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    window: list[float] = []
    real = detached.searching

    def slow(*args: Any) -> Generator[None, None, Any]:
        window.append(time.time())
        until = time.monotonic() + 1.0
        while time.monotonic() < until:
            time.sleep(0.001)  # (a step's budget is CPU time)
            yield
        found = yield from real(*args)
        window.append(time.time())
        return found

    monkeypatch.setattr(detached, "searching", slow)
    source = "def crunch():\n    return sum(i * i for i in range(20_000))\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, "<made after the profiler started>", "exec"), namespace)
    stop = threading.Event()

    def request_loop() -> None:
        while not stop.is_set():
            namespace["crunch"]()  # a few ms of computing, then a blocking call
            time.sleep(0.001)

    init(receiver, profile_session_sample_rate=1.0, profiler_detached=True)
    start_profiler()
    worker = threading.Thread(target=request_loop)
    worker.start()
    deadline = time.monotonic() + 10
    while len(window) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join()
    stop_profiler()
    assert len(window) == 2, "the search never ended"
    (chunk,) = wait_for_chunks(receiver)
    began, ended = window[0] + 0.1, window[1] - 0.1
    ticks = {s["timestamp"] for s in chunk["profile"]["samples"] if began < s["timestamp"] < ended}
    mine = {s["timestamp"] for s in samples_of(chunk, str(worker.ident))} & ticks
    assert len(ticks) >= 20  # passes went on through the search
    assert len(mine) >= 0.9 * len(ticks)  # and sampled the worker in (nearly) every one


def test_a_profile_shorter_than_the_detached_set_up_is_sampled_with_the_gil(
    receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Making the detached sampler takes time (a seccomp probe in a child process,
    recalling and teaching the process's codes: a large process's ~100 000); the first
    passes take the GIL meanwhile, so a short root span is not left without samples."""
    if detached.detached_passes(8) is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    made = detached.DetachedPasses.__init__

    def slow(self: DetachedPasses, max_depth: int) -> None:
        time.sleep(0.3)
        made(self, max_depth)

    monkeypatch.setattr(detached.DetachedPasses, "__init__", slow)
    init(receiver, profile_session_sample_rate=1.0, profiler_detached=True)
    start_profiler()
    spin(0.1)
    stop_profiler()
    (chunk,) = wait_for_chunks(receiver)
    assert busiest_thread(chunk, "spin") == str(threading.get_ident())
