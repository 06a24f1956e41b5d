"""HttpTransport against a real loopback receiver: delivery, wire details, client reports."""

import logging
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from scopetel_exporter_sentry import Envelope, HttpTransport, Item, Transport
from scopetel_exporter_sentry._http import HttpSender, select_proxy
from scopetel_exporter_sentry.dsn import Dsn
from sentry_builders import batch, event, transaction

from conftest import MakeTransport
from tests.support.sentry_receiver import SentryReceiver


def test_delivers_events_gzipped_with_auth(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver, client="scopetel/9.9")
    transport.capture_envelope(event("one"))
    transport.capture_envelope(transaction("tx"))
    transport.capture_envelope(batch("span", 3))
    assert transport.flush(timeout=5)
    assert receiver.errors == []
    assert [e["message"] for e in receiver.events()] == ["one"]
    assert [t["transaction"] for t in receiver.transactions()] == ["tx"]
    assert [i.headers["item_count"] for i in receiver.items("span")] == [3]
    for envelope in receiver.envelopes:
        assert envelope.gzipped
        assert envelope.http_headers["Content-Encoding"] == "gzip"
        assert "sentry_client=scopetel/9.9" in envelope.http_headers["X-Sentry-Auth"]
    assert receiver.client_reports() == []


def test_gzip_level_zero_sends_plain_bodies(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver, gzip_level=0)
    transport.capture_envelope(event())
    assert transport.flush(timeout=5)
    assert [e.gzipped for e in receiver.envelopes] == [False]
    assert "Content-Encoding" not in receiver.envelopes[0].http_headers


def test_gzip_really_compresses(receiver: SentryReceiver, make_transport: MakeTransport) -> None:
    transport = make_transport(receiver)
    big = Envelope({}, [Item.from_json("event", {"message": "x" * 50_000})])
    transport.capture_envelope(big)
    assert transport.flush(timeout=5)
    (envelope,) = receiver.envelopes
    assert envelope.gzipped
    assert envelope.wire_bytes < 5_000  # the receiver checked it unzips to the 50 kB envelope
    assert envelope.items[0].json == {"message": "x" * 50_000}


def test_keep_alive_reuses_one_connection(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    for n in range(5):
        transport.capture_envelope(event(f"e{n}"))
        assert transport.flush(timeout=5)
    assert len(receiver.envelopes) == 5
    assert len({e.connection for e in receiver.envelopes}) == 1


def test_lost_counts_go_in_a_standalone_client_report_on_flush(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    transport.record_lost("before_send", "error", 2)
    transport.record_lost("sample_rate", "transaction")
    assert transport.flush(timeout=5)
    assert receiver.errors == []
    assert [[i.type for i in e.items] for e in receiver.envelopes] == [["client_report"]]
    (report,) = receiver.client_reports()
    assert isinstance(report["timestamp"], float)
    assert sorted(report["discarded_events"], key=lambda d: d["reason"]) == [
        {"reason": "before_send", "category": "error", "quantity": 2},
        {"reason": "sample_rate", "category": "transaction", "quantity": 1},
    ]
    assert transport.flush(timeout=5)
    assert len(receiver.client_reports()) == 1  # counts were reset: nothing more to send


def test_client_report_rides_along_the_next_envelope(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    transport.record_lost("event_processor", "error")
    transport.capture_envelope(event())
    assert transport.flush(timeout=5)
    assert [[i.type for i in e.items] for e in receiver.envelopes] == [["event", "client_report"]]
    assert receiver.discarded("event_processor", "error") == 1


def test_flush_with_nothing_to_do_returns_true_without_a_thread(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    assert transport.flush(timeout=0)
    assert not transport._worker.started
    assert receiver.requests == []


def test_close_is_idempotent_and_later_captures_are_ignored(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    transport.capture_envelope(event("before"))
    transport.close(timeout=5)
    transport.close(timeout=5)
    transport.capture_envelope(event("after"))
    assert transport.flush(timeout=0.2)
    assert [e["message"] for e in receiver.events()] == ["before"]


def test_worker_runs_with_instrumentation_suppressed(
    receiver: SentryReceiver, make_transport: MakeTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []
    real_send = HttpSender.send

    def spy(self: HttpSender, body: bytes) -> Any:
        seen.append(is_instrumentation_enabled())
        return real_send(self, body)

    monkeypatch.setattr(HttpSender, "send", spy)
    transport = make_transport(receiver)
    transport.capture_envelope(event())
    assert transport.flush(timeout=5)
    assert seen == [False]
    assert is_instrumentation_enabled()  # the application's own thread is untouched
    assert len(receiver.events()) == 1


def test_never_raises_into_the_application(
    receiver: SentryReceiver,
    make_transport: MakeTransport,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("SCOPETEL_RAISE_INTERNAL_ERRORS", raising=False)
    transport = make_transport(receiver)
    transport.capture_envelope(None)  # type: ignore[arg-type]
    assert "internal error" in caplog.text
    unserializable = Envelope({"bad": object()}, [Item({"type": "event"}, b"{}")])
    transport.capture_envelope(unserializable)
    transport.capture_envelope(event("fine"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in receiver.events()] == ["fine"]
    assert transport.client_reports.counts() == {}  # the report went out with "fine"
    assert receiver.discarded("send_error", "error") == 1
    assert any(r.levelno == logging.ERROR and r.name == "scopetel" for r in caplog.records)


def test_explicit_proxy_is_used(receiver: SentryReceiver, make_transport: MakeTransport) -> None:
    # The DSN host does not exist: only the proxy (our receiver) can deliver it.
    transport = make_transport("http://public@sentry.invalid/42", http_proxy=receiver.url)
    transport.capture_envelope(event("via proxy"))
    assert transport.flush(timeout=5)
    assert [e["message"] for e in receiver.events()] == ["via proxy"]
    assert receiver.errors == []


def test_proxy_selection_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    https = Dsn.parse("https://k@o1.ingest.sentry.io/1")
    http = Dsn.parse("http://k@sentry.local:9000/1")
    assert select_proxy(https, None, None) is None
    monkeypatch.setenv("HTTP_PROXY", "http://plain:3128")
    assert select_proxy(http, None, None) == "http://plain:3128"
    assert select_proxy(https, None, None) == "http://plain:3128"  # falls back to the http one
    monkeypatch.setenv("HTTPS_PROXY", "http://secure:3128")
    assert select_proxy(https, None, None) == "http://secure:3128"
    assert select_proxy(https, None, "") is None  # explicitly disabled
    assert select_proxy(https, "http://mine:1", None) == "http://mine:1"
    monkeypatch.setenv("NO_PROXY", "localhost, .sentry.io")
    assert select_proxy(https, None, None) is None
    assert select_proxy(http, None, None) == "http://plain:3128"
    monkeypatch.setenv("NO_PROXY", "sentry.local:9000")
    assert select_proxy(http, None, None) is None
    monkeypatch.setenv("NO_PROXY", "sentry.local:80")
    assert select_proxy(http, None, None) == "http://plain:3128"
    monkeypatch.setenv("NO_PROXY", "*")
    assert select_proxy(http, None, None) is None
    assert select_proxy(http, "http://explicit:1", None) == "http://explicit:1"


@pytest.mark.parametrize(
    "options",
    [
        {"max_queue_items": 0},
        {"max_queue_bytes": 0},
        {"timeout": 0},
        {"max_retries": -1},
        {"backoff_initial": 2, "backoff_max": 1},
        {"gzip_level": 10},
    ],
)
def test_invalid_options_raise_value_error(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        HttpTransport("https://k@example.com/1", **options)


def test_http_transport_satisfies_the_protocol() -> None:
    transport: Transport = HttpTransport("https://k@example.com/1")
    transport.close(timeout=0)
