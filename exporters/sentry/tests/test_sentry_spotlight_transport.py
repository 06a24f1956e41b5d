"""The Spotlight sender: delivers to a sidecar-like endpoint, never blocks or raises when the
sidecar hangs or is gone, stays bounded, and starts afresh in a forked child."""

import os
import socket
import threading
from collections.abc import Iterator

import pytest
from scopetel_exporter_sentry.spotlight import SpotlightTransport
from sentry_builders import event

from tests.support.sentry_receiver import SentryReceiver


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_envelopes_reach_the_sidecar_endpoint(receiver: SentryReceiver) -> None:
    # Spotlight takes envelopes on /api/<id>/envelope/ too; this one checks no auth is sent
    spotlight = SpotlightTransport(f"{receiver.url}/api/{receiver.project_id}/envelope/")
    spotlight.capture_envelope(event("to spotlight"))
    assert spotlight.flush(5)
    spotlight.close(1)
    (request,) = receiver.requests
    assert request.status == 400 and "X-Sentry-Auth" in (request.error or "")


def test_a_hanging_sidecar_never_blocks_the_caller(hanging_port: int) -> None:
    spotlight = SpotlightTransport(f"http://127.0.0.1:{hanging_port}/stream", max_queue=10)
    for n in range(200):
        spotlight.capture_envelope(event(f"n{n}"))  # returns at once: queued or dropped
    assert spotlight.flush(0.2) is False  # the sender is stuck on the first one
    spotlight.close(0.2)
    spotlight.capture_envelope(event("after close"))  # ignored, no error


def test_an_absent_sidecar_backs_off(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spotlight = SpotlightTransport(f"http://127.0.0.1:{port}/stream")
    spotlight.capture_envelope(event())
    assert spotlight.flush(5)
    for _ in range(20):
        spotlight.capture_envelope(event())  # within the back-off: skipped
    assert spotlight.flush(1)
    warnings = [r for r in caplog.records if f"127.0.0.1:{port}/" in r.getMessage()]
    assert len(warnings) == 1
    spotlight.close(1)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_sends_with_its_own_thread(receiver: SentryReceiver) -> None:
    spotlight = SpotlightTransport(f"{receiver.url}/api/{receiver.project_id}/envelope/")
    spotlight.capture_envelope(event("parent"))
    assert spotlight.flush(5)
    pid = os.fork()
    if pid == 0:
        try:
            spotlight.capture_envelope(event("child"))
            os._exit(0 if spotlight.flush(5) else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    receiver.wait_for(lambda: len(receiver.requests) == 2)
    spotlight.close(1)
