"""OTLP has no server-side scrubber: exporters get scrubbed copies of spans (issue 12, 4),
with the vocabulary Sentry's data uses, the same ids, and the live span untouched."""

from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from scopetel._events.scrubber import Scrub
from scopetel._pipeline.private_export import private_span
from scopetel.exporter import PrivateSpanExporter
from scopetel.testing import capture_envelopes
from tests.support.otlp_receiver import OtlpHttpReceiver

CARD = "4242424242424242"
TOKEN = "otlp-token-6f2d"
PASSWORD = "otlp-pass-3b8e"
CLIENT_IP = "198.51.100.61"
ATTRIBUTES = {
    "http.request.method": "GET",
    "url.path": "/pay",
    "url.query": f"card={CARD}&token={TOKEN}&q=shoes",
    "url.full": f"https://{PASSWORD}:{PASSWORD}@shop.example/pay?password={PASSWORD}",
    "http.url": f"https://shop.example/pay?card={CARD}",
    "http.target": f"/pay?access_token={TOKEN}",
    "http.request.header.authorization": (f"Bearer {TOKEN}",),
    "client.address": CLIENT_IP,
    "net.peer.ip": CLIENT_IP,
    "http.client_ip": CLIENT_IP,
    "server.address": "shop.example",
}
SECRETS = (CARD, TOKEN, PASSWORD)


def _provider(*exporters: object) -> TracerProvider:
    provider = TracerProvider(span_limits=SpanLimits(max_attributes=len(ATTRIBUTES) - 1))
    for exporter in exporters:
        provider.add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[arg-type]
    return provider


def _make_span(provider: TracerProvider) -> None:
    tracer = provider.get_tracer("privacy-tests")
    with tracer.start_as_current_span("GET /pay", kind=SpanKind.SERVER) as span:
        span.set_attributes(ATTRIBUTES)
        span.add_event("exception", {"exception.message": f"card {CARD} declined"})
        span.add_link(span.get_span_context(), {"next": f"/pay?token={TOKEN}"})
        span.set_status(Status(StatusCode.ERROR, f"declined for password={PASSWORD}"))


@pytest.fixture
def receiver() -> Iterator[OtlpHttpReceiver]:
    with OtlpHttpReceiver() as otlp:
        yield otlp
        assert otlp.errors == []


def test_otlp_receives_no_secret_nor_address_and_the_same_ids(receiver: OtlpHttpReceiver) -> None:
    live = InMemorySpanExporter()
    otlp = OTLPSpanExporter(endpoint=f"{receiver.url}/v1/traces")
    provider = _provider(live, PrivateSpanExporter(otlp, send_default_pii=False))
    _make_span(provider)
    provider.shutdown()
    receiver.wait_for(lambda: len(receiver.spans()) == 1)
    raw = b"".join(receiver.bodies())
    assert [s for s in (*SECRETS, CLIENT_IP) if s.encode() in raw] == []
    (received,) = receiver.spans()
    (original,) = live.get_finished_spans()
    context = original.context
    assert context is not None
    assert (received.trace_id, received.span_id) == (
        f"{context.trace_id:032x}",
        f"{context.span_id:016x}",
    )
    attributes = received.attributes
    assert attributes["url.query"] == "card=[Filtered]&token=[Filtered]&q=shoes"
    assert attributes["http.target"] == "/pay?access_token=[Filtered]"
    assert attributes["client.address"] == "[Filtered]"
    assert attributes["server.address"] == "shop.example"
    # the live span is the application's: never modified
    assert original.attributes is not None
    assert original.attributes["url.query"] == ATTRIBUTES["url.query"]
    assert original.status.description == f"declined for password={PASSWORD}"


def test_the_copy_keeps_everything_but_the_private_values() -> None:
    live = InMemorySpanExporter()
    provider = _provider(live)
    _make_span(provider)
    (span,) = live.get_finished_spans()
    copy = private_span(span, Scrub(send_default_pii=False))
    assert copy is not span
    for name in ("name", "context", "parent", "kind", "start_time", "end_time", "resource"):
        assert getattr(copy, name) == getattr(span, name), name
    assert copy.instrumentation_scope == span.instrumentation_scope
    assert (copy.dropped_attributes, copy.dropped_events, copy.dropped_links) == (
        span.dropped_attributes,
        span.dropped_events,
        span.dropped_links,
    )
    assert span.dropped_attributes == 1  # one attribute over the limit
    assert copy.status.status_code is StatusCode.ERROR
    assert copy.status.description == "declined for password=[Filtered]"
    assert copy.events[0].attributes == {"exception.message": "card [Filtered] declined"}
    assert copy.links[0].attributes == {"next": "/pay?token=[Filtered]"}
    assert copy.links[0].context == span.links[0].context


def test_a_span_with_nothing_private_is_passed_on_as_it_is() -> None:
    live = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(live))
    with provider.get_tracer("t").start_as_current_span("work") as span:
        span.set_attributes({"url.path": "/items", "url.query": "page=2", "db.system": "sqlite"})
        span.add_link(span.get_span_context())
    (finished,) = live.get_finished_spans()
    assert private_span(finished, Scrub(send_default_pii=False)) is finished


def test_with_send_default_pii_addresses_go_and_secrets_do_not() -> None:
    received = InMemorySpanExporter()
    provider = _provider(PrivateSpanExporter(received, send_default_pii=True))
    _make_span(provider)
    (span,) = received.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["client.address"] == CLIENT_IP
    assert span.attributes["url.query"] == "card=[Filtered]&token=[Filtered]&q=shoes"
    assert span.attributes["http.request.header.authorization"] == ("[Filtered]",)


@pytest.mark.parametrize("pii", [False, True])
def test_by_default_the_active_clients_option_decides(pii: bool) -> None:
    received = InMemorySpanExporter()
    provider = _provider(PrivateSpanExporter(received))
    with capture_envelopes(default_integrations=False, send_default_pii=pii):
        _make_span(provider)
    (span,) = received.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["net.peer.ip"] == (CLIENT_IP if pii else "[Filtered]")


def test_a_span_that_cannot_be_scrubbed_is_not_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    import scopetel._pipeline.private_export as private_export

    monkeypatch.setattr(private_export, "report_internal_error", lambda where: None)
    received = InMemorySpanExporter()
    exporter = PrivateSpanExporter(received, send_default_pii=False)

    class Broken(ReadableSpan):
        @property
        def attributes(self) -> object:  # type: ignore[override]
            raise RuntimeError("unreadable")

    fine = ReadableSpan(name="fine", attributes={"url.query": "page=2"})
    exporter.export([Broken(name="broken"), fine])
    assert [span.name for span in received.get_finished_spans()] == ["fine"]
