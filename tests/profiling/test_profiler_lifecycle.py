"""The profiler's life: exit within shutdown_timeout, fork, a new init(), bounded chunks,
gevent; it never raises into the application."""

import os
import subprocess
import sys
import textwrap
import threading
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import scopetel
from scopetel._profiling import chunk as chunk_module
from scopetel._profiling import session
from scopetel.profiler import start_profiler, stop_profiler
from tests.profiling.support import (
    busiest_thread,
    chunks,
    functions,
    init,
    learned,
    samples_of,
    share_in,
    spin,
    wait_for_chunks,
)
from tests.support.sentry_receiver import Reply, SentryReceiver

ROOT = Path(__file__).resolve().parents[2]

APP = """
import sys, time
import scopetel
from scopetel.profiler import start_profiler
from tests.profiling.support import spin

scopetel.init(dsn=sys.argv[1], profile_session_sample_rate=1.0, shutdown_timeout=1.0,
              default_integrations=False)
start_profiler()
spin(0.6)
print("exiting", flush=True)   # no stop_profiler(): shutdown sends the last chunk
"""


def _run(script: Path, dsn: str) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(script), dsn],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return result, time.monotonic() - began


def test_exit_sends_the_last_chunk(tmp_path: Path, receiver: SentryReceiver) -> None:
    script = tmp_path / "app.py"
    script.write_text(APP)
    result, _ = _run(script, receiver.dsn)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (chunk,) = wait_for_chunks(receiver)
    samples = samples_of(chunk, busiest_thread(chunk, "spin"))
    assert len(samples) >= 5 and share_in(chunk, samples, "spin") > 0.5


def test_exit_stays_bounded_when_the_backend_hangs(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(APP)
    with SentryReceiver() as hanging:
        hanging.default = Reply(hang=20.0)
        result, elapsed = _run(script, hanging.dsn)
    assert result.returncode == 0, result.stderr
    assert elapsed < 10.0  # shutdown_timeout=1s (plus start-up), never the backend's 20s


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_profiles_with_a_profiler_of_its_own(receiver: SentryReceiver) -> None:
    init(receiver, profile_session_sample_rate=1.0)
    start_profiler()
    parent_id = session.profiler_id()
    pid = os.fork()
    if pid == 0:  # the child: a fresh sampler thread, its own chunks
        code = 1
        try:
            spin(0.4)
            stop_profiler()
            code = 0 if scopetel.flush(timeout=5.0) else 2
        finally:
            os._exit(code)
    spin(0.2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    stop_profiler()
    received = wait_for_chunks(receiver, 2)
    ids = {c["profiler_id"] for c in received}
    assert len(ids) == 2 and parent_id in ids
    (child,) = [c for c in received if c["profiler_id"] != parent_id]
    samples = samples_of(child, busiest_thread(child, "spin"))
    assert len(samples) >= 5 and share_in(child, samples, "spin") > 0.5


def test_a_new_init_stops_the_previous_profiler(receiver: SentryReceiver) -> None:
    init(receiver, profile_session_sample_rate=1.0)
    start_profiler()
    spin(0.2)
    with SentryReceiver() as second:
        init(second)  # no profiling any more: the first profiler's chunk goes to the first
        assert session.profiler_id() is None
        start_profiler()
        spin(0.1)
        scopetel.flush(timeout=5.0)
        assert second.items("profile_chunk") == []
    wait_for_chunks(receiver)


def test_chunks_are_bounded_and_sent_early_when_full(
    receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chunk_module, "MAX_SAMPLES", 40)
    init(receiver, profile_session_sample_rate=1.0)
    start_profiler()
    spin(0.8)
    stop_profiler()
    received = wait_for_chunks(receiver, 2)
    threads = {s["thread_id"] for c in received for s in c["profile"]["samples"]}
    for chunk in received:
        assert len(chunk["profile"]["samples"]) < 40 + len(threads)
    assert len({c["chunk_id"] for c in received}) == len(received)
    assert len({c["profiler_id"] for c in received}) == 1


def test_chunks_stay_bounded_with_threads_threading_does_not_know(
    receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch, detached_walk: str
) -> None:
    """Threads started without ``threading`` (a C library's, ``_thread``'s) are sampled
    but not counted by ``threading.active_count()``: a chunk's first run of passes
    without the GIL, sized from that count, overfilled it (5 passes over 12 threads in
    a 40-sample chunk in CI's process)."""
    import _thread

    monkeypatch.setattr(chunk_module, "MAX_SAMPLES", 40)
    release = _thread.allocate_lock()
    release.acquire()
    started = threading.Semaphore(0)
    ended = [_thread.allocate_lock() for _ in range(8)]

    def parked(done: Any) -> None:
        with done:  # held until the thread ends
            started.release()
            release.acquire()
            release.release()

    for done in ended:
        _thread.start_new_thread(parked, (done,))
    for _ in ended:
        started.acquire()
    try:
        init(receiver, profile_session_sample_rate=1.0)
        start_profiler()
        spin(0.8)
        stop_profiler()
        received = wait_for_chunks(receiver, 2)
    finally:
        release.release()
        for done in ended:
            done.acquire()  # (released as the thread's last step)
    threads = {s["thread_id"] for c in received for s in c["profile"]["samples"]}
    assert len(threads) >= 9  # the main thread and the parked ones
    for chunk in received:
        assert len(chunk["profile"]["samples"]) < 40 + len(threads)


def test_a_chunk_filled_by_a_pass_with_the_gil_is_sent_at_once(
    receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass with the GIL that fills the chunk sends it in the same step: left full
    until the next one, a run of passes without the GIL coming next (the code search
    ended) added its passes or an event loop's tick to it (66 samples in a 40-sample
    chunk over 19 threads)."""
    monkeypatch.setattr(chunk_module, "MAX_SAMPLES", 40)
    monkeypatch.setenv("SENTRY_PROFILER_DETACHED", "false")  # every pass with the GIL
    stop = threading.Event()
    parked = [threading.Thread(target=stop.wait) for _ in range(9)]
    for thread in parked:
        thread.start()
    init(receiver, profile_session_sample_rate=1.0)
    start_profiler()
    active = session._active
    assert active is not None
    profiler = active.profiler
    seen_full = 0
    try:
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            with profiler._lock:
                chunk = profiler._chunk
                seen_full += chunk is not None and chunk.full
            time.sleep(0.001)
    finally:
        stop_profiler()
        stop.set()
        for thread in parked:
            thread.join()
    assert len(wait_for_chunks(receiver, 3)) >= 3
    assert seen_full == 0


def test_a_failing_transport_never_reaches_the_app(receiver: SentryReceiver) -> None:
    class Failing:
        def capture_envelope(self, envelope: object) -> None:
            raise OSError("disk full")

    scopetel.init(transport=Failing(), profile_session_sample_rate=1.0, traces_sample_rate=1.0)
    start_profiler()
    with scopetel.start_transaction(name="still fine"):
        spin(0.1)
    stop_profiler()  # the chunk is handed to the failing transport: logged, not raised
    assert scopetel.flush(timeout=1.0)


GEVENT_APP = """
from gevent import monkey
monkey.patch_all()

import sys
import gevent
import scopetel
from scopetel.profiler import start_profiler, stop_profiler
from scopetel._profiling import session
from tests.profiling.support import spin

scopetel.init(dsn=sys.argv[1], profile_session_sample_rate=1.0, traces_sample_rate=1.0,
              default_integrations=False)
start_profiler()
assert session._active.profiler.native.mode == "gevent"
def work():
    with scopetel.start_transaction(name="greenlet"):
        spin(0.4)
gevent.spawn(work).join()
stop_profiler()
assert scopetel.flush(timeout=5.0)
"""


def test_under_gevent_the_sampler_is_a_native_thread(
    tmp_path: Path, receiver: SentryReceiver
) -> None:
    pytest.importorskip("gevent")
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(GEVENT_APP))
    result, _ = _run(script, receiver.dsn)
    assert result.returncode == 0, result.stderr
    (chunk,) = wait_for_chunks(receiver)
    receiver.wait_for(lambda: receiver.transactions())
    (transaction,) = receiver.transactions()
    thread_id = transaction["contexts"]["trace"]["data"]["thread.id"]
    assert thread_id == busiest_thread(chunk, "spin")  # the native thread of the hub
    assert "thread.name" not in transaction["contexts"]["trace"]["data"]
    assert share_in(chunk, samples_of(chunk, thread_id), "spin") > 0.5
    assert chunks(receiver) == [chunk]


@pytest.mark.parametrize("where", ["gil", "detached"])
def test_a_bug_in_a_sampling_pass_is_logged_and_sampling_goes_on(
    receiver: SentryReceiver,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    """Production mode (internal errors logged, not raised): the pass that failed is
    reported, the thread waits a second (a bug must not become a busy loop) and samples
    again; the application never sees it. ``gil``: a pass with the GIL fails;
    ``detached``: a run of passes without it."""
    from scopetel import _internal_errors
    from scopetel._profiling import detached, profiler, sampler

    monkeypatch.setattr(_internal_errors, "_raise", False)
    failed: list[float] = []
    armed = [False]

    def failing_once(real: Any) -> Any:
        def call(*args: Any) -> Any:
            if armed[0] and not failed:  # after some samples: the pause shows in the chunk
                failed.append(time.perf_counter())
                raise RuntimeError("a bug in the sampler")
            return real(*args)

        return call

    if where == "gil":
        monkeypatch.setattr(profiler, "detached_passes", lambda *args: None)
        monkeypatch.setattr(
            sampler.StackSampler, "sample", failing_once(sampler.StackSampler.sample)
        )
    else:
        if detached.detached_passes(8) is None:
            pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
        monkeypatch.setenv("SENTRY_PROFILER_DETACHED", "true")
        monkeypatch.setattr(
            detached.DetachedPasses, "run", failing_once(detached.DetachedPasses.run)
        )
    init(receiver, profile_session_sample_rate=1.0)
    start_profiler()
    if not learned(timeout=20.0):  # without the GIL once the code search ended
        stop_profiler()
        pytest.skip("the code search did not end in 20 s (a large process: why it is opt-in)")
    spin(0.2)
    armed[0] = True
    active = session._active
    if where == "detached" and active is not None and active.profiler._passes is not None:
        active.profiler._passes.interrupt()  # the run going on ends: the next one fails
    spin(1.6)
    stop_profiler()
    (chunk,) = wait_for_chunks(receiver)
    assert failed
    errors = [r for r in caplog.records if "internal error in Profiler thread" in r.getMessage()]
    assert len(errors) == 1 and errors[0].exc_info is not None
    samples = chunk["profile"]["samples"]
    times = sorted({s["timestamp"] for s in samples})
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert max(gaps) >= 0.9  # the back-off after the failed pass
    assert sorted(gaps)[-2] < 0.5  # and no other pause
    main = samples_of(chunk, str(threading.get_ident()))
    assert len(main) >= 10  # after the second's pause, the passes went on


def handle_request() -> None:
    time.sleep(0.005)  # I/O: the sampler thread, woken by the root span, gets the GIL


def test_root_spans_shorter_than_a_tick_are_sampled(receiver: SentryReceiver, walk: str) -> None:
    """The trace lifecycle samples at once when a root span opens (a web request may
    last less than a tick): before, passes without the GIL slept a tick first, and a
    real app's 180 short requests gave 29 samples instead of ~700. (A root span that
    computes for less than the GIL's switch interval is missed: the woken sampler
    thread needs the GIL to begin.)"""
    init(
        receiver,
        traces_sample_rate=1.0,
        profile_session_sample_rate=1.0,
        profile_lifecycle="trace",
    )
    for _ in range(40):
        with scopetel.start_transaction(name="short"):
            handle_request()
        time.sleep(0.003)
    scopetel.flush(timeout=5.0)
    (chunk,) = wait_for_chunks(receiver)
    in_requests = [
        s
        for s in samples_of(chunk, str(threading.get_ident()))
        if "handle_request" in functions(chunk, s["stack_id"])
    ]
    assert len(in_requests) >= 20
