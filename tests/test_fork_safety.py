"""A child forked while another thread holds one of scopetel's locks must not hang.

Only the forking thread survives a ``fork()``: a lock another thread held at that moment
stays locked forever in the child. Each test holds a lock in a thread, forks, and has
the child use the code path behind that lock; the child must finish within seconds.
"""

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import scopetel
from scopetel import _client
from scopetel._setup import init as setup_init
from scopetel._setup import provider
from scopetel.testing import CapturingTransport

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@contextmanager
def held_in_a_thread(lock: Any) -> Iterator[None]:
    """``lock`` acquired by another thread for the duration of the block."""
    acquired, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            acquired.set()
            release.wait(10)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert acquired.wait(5)
    try:
        yield
    finally:
        release.set()
        thread.join(5)


def child_finishes(work: Callable[[], None], timeout: float = 10.0) -> bool:
    """Fork; the child runs ``work`` and exits 0. False when it hangs or fails."""
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return False


@pytest.fixture
def client() -> _client.Client:
    scopetel.init(
        dsn="http://key@127.0.0.1:9/1", transport=CapturingTransport(), traces_sample_rate=1.0
    )
    active = _client.get_client()
    assert active is not None
    return active


def test_frozen_dscs_lock_held_at_fork(client: _client.Client) -> None:
    def propagate() -> None:
        with scopetel.start_transaction(name="child"):
            assert scopetel.get_baggage()

    with held_in_a_thread(client.frozen_dscs._lock._lock):
        assert child_finishes(propagate)


def test_init_and_provider_locks_held_at_fork(client: _client.Client) -> None:
    def init_again() -> None:
        scopetel.init(dsn="http://key@127.0.0.1:9/1", transport=CapturingTransport())

    with held_in_a_thread(setup_init._lock._lock), held_in_a_thread(provider._lock._lock):
        assert child_finishes(init_again)


def test_stream_processor_lock_held_at_fork() -> None:
    scopetel.init(
        dsn="http://key@127.0.0.1:9/1",
        transport=CapturingTransport(),
        traces_sample_rate=1.0,
        trace_lifecycle="stream",
    )
    installed = provider.installed_processor()
    assert installed is not None
    stream = installed.delegates[0]

    def trace() -> None:
        with scopetel.start_transaction(name="child"), scopetel.start_span(op="db"):
            pass

    with held_in_a_thread(stream._lock):  # type: ignore[attr-defined]
        assert child_finishes(trace)
