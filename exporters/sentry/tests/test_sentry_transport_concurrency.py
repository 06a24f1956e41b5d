"""HttpTransport's sender threads: concurrency, exact accounting at close, thread lifecycle."""

import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scopetel_exporter_sentry import HttpTransport
from scopetel_exporter_sentry._connections import Connections
from scopetel_exporter_sentry.dsn import Dsn
from sentry_builders import event, transaction

from conftest import MakeTransport
from tests.support.sentry_receiver import Reply, SentryReceiver

THREAD_PREFIX = "scopetel-sentry-transport"
ROOT = Path(__file__).resolve().parents[3]


def transport_threads(exclude: set[int]) -> list[threading.Thread]:
    return [
        thread
        for thread in threading.enumerate()
        if thread.name.startswith(THREAD_PREFIX) and thread.ident not in exclude
    ]


def wait_in_flight(transport: HttpTransport, count: int = 1) -> None:
    """Wait until a sender has taken ``count`` envelopes (synchronisation, not an assertion)."""
    deadline = time.monotonic() + 5
    while len(transport._queue._in_flight) < count:
        assert time.monotonic() < deadline, "no envelope was taken by a sender"
        time.sleep(0.005)


def test_a_burst_larger_than_the_queue_is_delivered_or_counted_exactly_once(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver, max_queue_items=1000)  # scopetel.init's default
    for n in range(2000):
        transport.capture_envelope(transaction(f"t{n}"))
    assert transport.flush(timeout=60)
    names = Counter(t["transaction"] for t in receiver.transactions())
    assert max(names.values()) == 1  # nothing sent twice
    overflow = receiver.discarded("queue_overflow", "transaction")
    assert len(names) + overflow == 2000
    assert len(names) >= 1000  # only what did not fit the queue may be dropped
    assert receiver.discarded() == overflow * 2  # and each one's root span
    assert transport.client_reports.counts() == {}
    assert receiver.errors == []


def test_a_slow_backend_gets_requests_in_flight_at_once(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.default = Reply(delay=0.2)
    transport = make_transport(receiver, pool_size=8)
    for n in range(40):
        transport.capture_envelope(event(f"e{n}"))
    assert transport.flush(timeout=20)
    assert sorted(e["message"] for e in receiver.events()) == sorted(f"e{n}" for n in range(40))
    connections = {e.connection for e in receiver.envelopes}
    assert 1 < len(connections) <= 8


def test_a_429_stops_every_sender(receiver: SentryReceiver, make_transport: MakeTransport) -> None:
    receiver.default = Reply(429, {"Retry-After": "60"})
    transport = make_transport(receiver, pool_size=8, max_queue_items=1000)
    for n in range(200):
        transport.capture_envelope(event(f"e{n}"))
    assert transport.flush(timeout=10)
    # Only envelopes already on their way when the first 429 came back could be sent.
    assert 1 <= len(receiver.requests) <= 8
    assert transport.client_reports.counts() == {("ratelimit_backoff", "error"): 200}


@pytest.mark.parametrize("status", [413, 400, 403])
def test_a_client_report_riding_on_a_rejected_envelope_is_sent_later(
    receiver: SentryReceiver, make_transport: MakeTransport, status: int
) -> None:
    receiver.reply(Reply(status))
    transport = make_transport(receiver)
    transport.record_lost("before_send", "error", 2)
    transport.capture_envelope(event("rejected"))
    assert transport.flush(timeout=5)
    assert [r.status for r in receiver.requests] == [status, 200]
    assert receiver.events() == []
    assert receiver.discarded("before_send", "error") == 2
    assert receiver.discarded("send_error", "error") == 1
    assert receiver.discarded() == 3


def test_an_envelope_in_flight_at_close_and_delivered_later_is_not_counted(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.default = Reply(delay=1.0)
    transport = make_transport(receiver, timeout=5.0)
    transport.capture_envelope(event("late"))
    wait_in_flight(transport)
    transport.close(timeout=0.1)
    assert transport.client_reports.counts() == {}  # its outcome is not known yet
    assert transport.flush(timeout=5)  # after close: waits for what was in flight
    assert [e["message"] for e in receiver.events()] == ["late"]
    assert transport.client_reports.counts() == {}  # delivered, so never counted


def test_an_envelope_in_flight_at_close_that_fails_is_counted_once_and_not_retried(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(hang=2.0))
    transport = make_transport(receiver, timeout=0.5)
    transport.capture_envelope(event("lost"))
    receiver.wait_for(lambda: len(receiver.requests) == 1)
    transport.close(timeout=0.1)
    assert transport.client_reports.counts() == {}
    assert transport.flush(timeout=5)
    assert transport.client_reports.counts() == {("network_error", "error"): 1}
    assert [r.status for r in receiver.requests] == [None]


def test_envelopes_left_queued_at_close_are_not_reported_as_network_errors(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    for n in range(30):
        transport.capture_envelope(event(f"e{n}"))
    started = time.monotonic()
    transport.close(timeout=0)  # the shutdown budget was spent elsewhere
    assert time.monotonic() - started < 1.0
    assert transport.flush(timeout=5)  # the answers to those in flight
    # what close left queued is counted; the count may ride on an envelope that was
    # already taken by a sender (it attaches the pending report when it prepares it)
    pending = transport.client_reports.counts()
    assert set(pending) <= {("queue_overflow", "error")}
    assert receiver.discarded() == receiver.discarded("queue_overflow", "error")
    dropped = pending.get(("queue_overflow", "error"), 0) + receiver.discarded()
    assert len(receiver.events()) + dropped == 30


def test_threads_are_daemons_started_lazily_and_gone_after_close(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    before = {thread.ident for thread in threading.enumerate() if thread.ident is not None}
    receiver.default = Reply(delay=0.05)
    transport = make_transport(receiver, pool_size=4)
    assert transport_threads(before) == []
    for n in range(40):
        transport.capture_envelope(event(f"e{n}"))
    running = transport_threads(before)
    assert running and all(thread.daemon for thread in running)
    transport.close(timeout=10)
    assert len(receiver.events()) == 40
    assert transport_threads(before) == []


def test_an_idle_thread_ends_and_the_next_capture_starts_another(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    before = {thread.ident for thread in threading.enumerate() if thread.ident is not None}
    transport = make_transport(receiver, thread_linger=0.1)
    transport.capture_envelope(event("first"))
    assert transport.flush(timeout=5)
    for thread in transport_threads(before):
        thread.join(timeout=5)
    assert transport_threads(before) == []
    transport.capture_envelope(event("second"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in receiver.events()] == ["first", "second"]


@pytest.mark.parametrize("keep_alive", [True, False])
def test_keep_alive_sets_tcp_keepalive_on_the_connections(
    receiver: SentryReceiver, make_transport: MakeTransport, keep_alive: bool
) -> None:
    transport = make_transport(receiver, keep_alive=keep_alive)
    transport.capture_envelope(event())
    assert transport.flush(timeout=5)
    route = transport._sender._route
    assert isinstance(route, Connections)
    sock, _ = route._idle[-1]  # the idle keep-alive connection the event went over
    assert bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)) is keep_alive
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    if keep_alive and hasattr(socket, "TCP_KEEPIDLE"):
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 30


linux_only = pytest.mark.skipif(
    sys.platform != "linux", reason="answer times come from the kernel's TCP_INFO (Linux)"
)


@pytest.fixture
def backend_process() -> Iterator[str]:
    """A healthy Sentry stand-in in a process of its own (its answers never wait for
    this process's GIL); yields its DSN."""
    command = [sys.executable, "-m", "benchmarks.backend_server", "--lifetime", "120"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("PORT "), line
        yield f"http://public@127.0.0.1:{line.split()[1]}/1"
    finally:
        process.kill()
        process.wait()


@contextmanager
def busy_application() -> Iterator[None]:
    """A thread that keeps the GIL busy (pure-Python loop), with a long switch interval:
    every time a sender gives the GIL up (each send and receive) it waits ~20 ms to get it
    back, so a send takes far longer than the backend takes to answer."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            pass

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.02)
    hog = threading.Thread(target=spin, name="busy-application")
    hog.start()
    try:
        yield
    finally:
        stop.set()
        hog.join()
        sys.setswitchinterval(interval)


def running() -> set[int]:
    return {thread.ident for thread in threading.enumerate() if thread.ident is not None}


def most_senders_while_busy(
    transport: HttpTransport, captures: int, pause: float, before: set[int]
) -> int:
    """Capture ``captures`` transactions ``pause`` apart in a ``busy_application``, then
    flush: the most sender threads (not running ``before``) there were at once."""
    most = 0
    with busy_application():
        for n in range(captures):
            transport.capture_envelope(transaction(f"t{n}"))
            most = max(most, len(transport_threads(before)))
            time.sleep(pause)
        assert transport.flush(timeout=60)
    return most


@linux_only
def test_a_busy_application_with_a_fast_backend_keeps_one_sender(
    backend_process: str, make_transport: MakeTransport
) -> None:
    # Sends slowed by GIL waits only: more senders would only compete for the GIL.
    before = running()
    transport = make_transport(backend_process, pool_size=24, max_queue_items=1000)
    for n in range(20):  # the stand-in's first answers are slower (its imports, caches)
        transport.capture_envelope(transaction(f"warm-up {n}"))
    assert transport.flush(timeout=10)
    most = most_senders_while_busy(transport, captures=100, pause=0.002, before=before)
    assert most <= 2  # one, unless the stand-in itself was slow to answer once
    assert transport.client_reports.counts() == {}


@linux_only
def test_a_busy_application_with_a_slow_backend_still_grows_the_pool(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.default = Reply(delay=0.1)  # the receiver sleeps: its thread lets the GIL go
    transport = make_transport(receiver, pool_size=8, max_queue_items=1000)
    with busy_application():
        for n in range(60):
            transport.capture_envelope(event(f"e{n}"))
        assert transport.flush(timeout=60)
    assert len(receiver.events()) == 60
    assert len({e.connection for e in receiver.envelopes}) > 2


def direct_connections(dsn_text: str) -> Connections:
    dsn = Dsn.parse(dsn_text)
    headers = {
        "Content-Type": "application/x-sentry-envelope",
        "X-Sentry-Auth": dsn.auth_header("scopetel.tests/1.0"),
    }
    path = urlsplit(dsn.envelope_url).path
    return Connections(
        dsn, path, headers, timeout=5, ca_certs=None, socket_options=None, pool_size=1
    )


body = b'{}\n{"type":"event","length":2}\n{}\n'


@linux_only
def test_the_answer_wait_is_the_backends_not_the_gils(backend_process: str) -> None:
    connections = direct_connections(backend_process)
    connections.post(body)  # connected, warm
    slowed = []  # (wall time, answer wait) of posts that waited for the GIL
    with busy_application():
        for _ in range(20):
            began = time.monotonic()
            assert connections.post(body).status == 200
            wall = time.monotonic() - began
            waited = connections.answer_wait()
            assert waited is not None
            if wall >= 0.02:
                slowed.append((wall, waited))
    connections.clear()
    assert slowed  # the busy thread held the GIL through some posts
    assert all(waited < wall / 2 for wall, waited in slowed)
    assert connections.answer_wait() is None  # told once


@linux_only
def test_a_request_in_flight_awaits_the_backend_until_its_answer_arrives(
    receiver: SentryReceiver,
) -> None:
    receiver.reply(Reply(delay=0.4))
    connections = direct_connections(receiver.dsn)
    sender = threading.Thread(target=connections.post, args=(body,))
    sender.start()
    time.sleep(0.2)
    assert connections.awaiting_backend(0.1)
    assert not connections.awaiting_backend(1.0)  # not for that long
    sender.join()
    assert not connections.awaiting_backend(0.0)
    connections.clear()


def test_senders_short_of_the_gil_get_company_when_the_backlog_grows(
    backend_process: str, make_transport: MakeTransport
) -> None:
    # Every send waits for the GIL several times: one sender delivers far less than
    # the application captures, and only more senders (more turns at the GIL) keep up.
    before = running()
    transport = make_transport(backend_process, pool_size=24, max_queue_items=24)
    assert most_senders_while_busy(transport, captures=200, pause=0.003, before=before) > 1
    assert transport.client_reports.counts() == {}  # nothing dropped
