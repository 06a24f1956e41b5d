"""HttpTransport's sender threads: concurrency, exact accounting at close, thread lifecycle."""

import socket
import threading
import time
from collections import Counter

import pytest
from scopetel_exporter_sentry import HttpTransport
from scopetel_exporter_sentry._connections import Connections
from sentry_builders import event, transaction

from conftest import MakeTransport
from tests.support.sentry_receiver import Reply, SentryReceiver

THREAD_PREFIX = "scopetel-sentry-transport"


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
    counts = transport.client_reports.counts()
    assert set(counts) <= {("queue_overflow", "error")}
    assert len(receiver.events()) + counts.get(("queue_overflow", "error"), 0) == 30


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
