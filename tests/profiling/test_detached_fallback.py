"""Where the passes without the GIL cannot run (another OS, an unknown CPython, a
seccomp filter forbidding ``process_vm_readv``) or are switched off, the profiler
samples with the GIL."""

import threading
from typing import Any

import pytest

from scopetel._profiling import detached, session
from scopetel._profiling.detached import DetachedPasses
from scopetel.profiler import start_profiler, stop_profiler
from tests.profiling.support import busiest_thread, init, spin, wait_for_chunks
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
    assert profile_spin(receiver, profiler_detached=True) is None


def test_passes_with_the_gil_by_default(receiver: SentryReceiver) -> None:
    assert profile_spin(receiver) is None


def test_the_passes_without_the_gil_are_used_where_they_can_be(
    receiver: SentryReceiver,
) -> None:
    if detached.detached_passes(8) is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
    passes = profile_spin(receiver, profiler_detached=True)
    assert passes is not None
    stats = passes.stats()
    assert stats["passes"] > 10 and stats["samples"] > 10
