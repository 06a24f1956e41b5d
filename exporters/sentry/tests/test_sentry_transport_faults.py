"""HttpTransport when the backend is slow, limits, fails, refuses or resets."""

import socket
import time

from scopetel_exporter_sentry import Envelope, Item
from sentry_builders import batch, event, transaction

from conftest import MakeTransport
from tests.support.sentry_receiver import Reply, SentryReceiver


def statuses(receiver: SentryReceiver) -> list[int | None]:
    return [r.status for r in receiver.requests]


def test_slow_backend_never_blocks_and_close_is_bounded(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.default = Reply(delay=2.0)
    transport = make_transport(receiver, timeout=5.0, pool_size=1)
    started = time.monotonic()
    for n in range(20):
        transport.capture_envelope(event(f"e{n}"))
    assert time.monotonic() - started < 0.5
    started = time.monotonic()
    assert not transport.flush(timeout=0.2)
    assert 0.15 < time.monotonic() - started < 0.6
    started = time.monotonic()
    transport.close(timeout=1.0)
    assert 0.8 < time.monotonic() - started < 1.5
    # The 19 never attempted are counted at close; the one in flight once answered.
    assert transport.client_reports.counts() == {("queue_overflow", "error"): 19}
    assert transport.flush(timeout=5)
    assert len(receiver.events()) == 1
    assert transport.client_reports.counts() == {("queue_overflow", "error"): 19}


def test_hanging_backend_times_out_and_is_retried(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(hang=3.0))
    transport = make_transport(receiver, timeout=0.3)
    transport.capture_envelope(event("patient"))
    assert transport.flush(timeout=5)
    assert statuses(receiver) == [None, 200]
    assert [e["message"] for e in receiver.events()] == ["patient"]


def test_429_for_one_category_stops_only_that_category(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(429, {"X-Sentry-Rate-Limits": "60:transaction:key", "Retry-After": "60"}))
    transport = make_transport(receiver)
    transport.capture_envelope(transaction("first"))  # answered 429: dropped
    assert transport.flush(timeout=5)  # also sends a client report for "first"
    transport.capture_envelope(transaction("second"))  # dropped at capture
    transport.capture_envelope(event("still delivered"))
    transport.capture_envelope(batch("span", 4))
    mixed = Envelope({}, [*transaction("third").items, *batch("log", 2).items])
    transport.capture_envelope(mixed)  # the transaction is removed, the logs go
    assert transport.flush(timeout=5)
    assert receiver.errors == []
    assert statuses(receiver) == [429, 200, 200, 200, 200]
    assert receiver.transactions() == []
    assert [e["message"] for e in receiver.events()] == ["still delivered"]
    assert [i.headers["item_count"] for i in receiver.items("span")] == [4]
    assert [i.headers["item_count"] for i in receiver.items("log")] == [2]
    assert receiver.discarded("ratelimit_backoff", "transaction") == 3
    assert receiver.discarded("ratelimit_backoff", "span") == 3  # each one's root span
    assert receiver.discarded() == 6


def test_429_without_categories_limits_everything_for_retry_after(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(429, {"Retry-After": "0.5"}))
    transport = make_transport(receiver)
    transport.capture_envelope(event("limited"))
    assert transport.flush(timeout=5)
    transport.capture_envelope(batch("span", 3))
    assert transport.flush(timeout=5)  # the client report is rate limited too
    assert statuses(receiver) == [429]
    assert transport.client_reports.counts() == {
        ("ratelimit_backoff", "error"): 1,
        ("ratelimit_backoff", "span"): 3,
    }
    time.sleep(0.6)
    transport.capture_envelope(event("after the limit"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in receiver.events()] == ["after the limit"]
    assert receiver.discarded("ratelimit_backoff", "error") == 1
    assert receiver.discarded("ratelimit_backoff", "span") == 3


def test_rate_limits_on_a_successful_response_are_honoured(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(200, {"X-Sentry-Rate-Limits": "60:error:organization:quota"}))
    transport = make_transport(receiver)
    transport.capture_envelope(event("accepted"))
    assert transport.flush(timeout=5)
    transport.capture_envelope(event("limited"))
    transport.capture_envelope(transaction("fine"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in receiver.events()] == ["accepted"]
    assert len(receiver.transactions()) == 1
    assert receiver.discarded("ratelimit_backoff", "error") == 1


def test_503_is_retried_until_it_recovers(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(503), Reply(502))
    transport = make_transport(receiver)
    transport.capture_envelope(event("resilient"))
    assert transport.flush(timeout=5)
    assert statuses(receiver) == [503, 502, 200]
    assert [e["message"] for e in receiver.events()] == ["resilient"]
    assert transport.client_reports.counts() == {}
    assert receiver.client_reports() == []


def test_persistent_5xx_is_dropped_as_send_error_after_the_retries(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(*[Reply(500)] * 3)
    transport = make_transport(receiver, max_retries=2)
    transport.capture_envelope(batch("span", 5))
    assert transport.flush(timeout=5)
    assert statuses(receiver)[:3] == [500, 500, 500]
    assert receiver.items("span") == []
    assert receiver.discarded("send_error", "span") == 5  # from the standalone report on flush


def test_reset_mid_request_is_retried(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(reset=True))
    transport = make_transport(receiver)
    big = Envelope({}, [Item.from_json("event", {"message": "x" * 200_000})])
    transport.capture_envelope(big)
    assert transport.flush(timeout=5)
    assert statuses(receiver) == [None, 200]
    assert len(receiver.events()) == 1
    assert receiver.errors == []


def test_413_is_dropped_as_send_error_and_not_retried(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(413))
    transport = make_transport(receiver)
    transport.capture_envelope(event("too big"))
    assert transport.flush(timeout=5)
    assert statuses(receiver) == [413, 200]  # the second is the standalone client report
    assert receiver.events() == []
    assert receiver.discarded("send_error", "error") == 1


def test_other_4xx_is_not_retried(receiver: SentryReceiver, make_transport: MakeTransport) -> None:
    receiver.reply(Reply(403))
    transport = make_transport(receiver)
    transport.capture_envelope(transaction())
    assert transport.flush(timeout=5)
    assert statuses(receiver) == [403, 200]
    assert receiver.discarded("send_error", "transaction") == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_is_counted_and_reported_once_a_server_appears(
    make_transport: MakeTransport,
) -> None:
    port = free_port()
    transport = make_transport(f"http://public@127.0.0.1:{port}/42", max_retries=2)
    transport.capture_envelope(event("lost"))
    logs = batch("log", 3)
    transport.capture_envelope(logs)
    started = time.monotonic()
    assert transport.flush(timeout=3)
    assert time.monotonic() - started < 3
    # The standalone report failed too; its counts are kept for later.
    assert transport.client_reports.counts() == {
        ("network_error", "error"): 1,
        ("network_error", "log_item"): 3,
        ("network_error", "log_byte"): len(logs.items[0].payload),
    }
    with SentryReceiver(port=port) as receiver:
        transport.capture_envelope(event("delivered"))
        assert transport.flush(timeout=5)
        assert [e["message"] for e in receiver.events()] == ["delivered"]
        assert receiver.discarded("network_error", "error") == 1
        assert receiver.discarded("network_error", "log_item") == 3
        assert receiver.errors == []


def test_flush_is_bounded_while_retries_go_on(make_transport: MakeTransport) -> None:
    port = free_port()
    transport = make_transport(
        f"http://public@127.0.0.1:{port}/42", max_retries=100, backoff_initial=0.05
    )
    transport.capture_envelope(event())
    started = time.monotonic()
    assert not transport.flush(timeout=0.3)
    assert 0.25 < time.monotonic() - started < 0.8
    started = time.monotonic()
    transport.close(timeout=0.3)
    assert time.monotonic() - started < 0.8


def test_queue_overflow_is_counted_per_category_and_quantity(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.reply(Reply(hang=0.5))  # keeps the first envelope in flight
    transport = make_transport(receiver, max_queue_items=2, timeout=0.3, pool_size=1)
    transport.capture_envelope(event("in flight"))
    receiver.wait_for(lambda: len(receiver.requests) == 1)
    transport.capture_envelope(event("queued 1"))
    transport.capture_envelope(event("queued 2"))
    transport.capture_envelope(batch("span", 3))  # no room
    logs = batch("log", 4)
    transport.capture_envelope(logs)  # no room
    transport.capture_envelope(Envelope({}, [*transaction().items, *batch("span", 2).items]))
    assert transport.flush(timeout=5)
    assert sorted(e["message"] for e in receiver.events()) == ["in flight", "queued 1", "queued 2"]
    assert receiver.discarded("queue_overflow", "span") == 6  # 3 + 2 + the transaction's root
    assert receiver.discarded("queue_overflow", "log_item") == 4
    assert receiver.discarded("queue_overflow", "log_byte") == len(logs.items[0].payload)
    assert receiver.discarded("queue_overflow", "transaction") == 1
    assert receiver.discarded() == 11 + len(logs.items[0].payload)
    assert receiver.errors == []


def test_queue_overflow_by_bytes(receiver: SentryReceiver, make_transport: MakeTransport) -> None:
    transport = make_transport(receiver, max_queue_bytes=10_000)
    transport.capture_envelope(Envelope({}, [Item.from_json("event", {"m": "x" * 20_000})]))
    transport.capture_envelope(event("small"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in receiver.events()] == ["small"]
    assert receiver.discarded("queue_overflow", "error") == 1
