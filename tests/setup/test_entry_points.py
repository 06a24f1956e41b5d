"""The propagator, sampler and span exporter that plain OpenTelemetry SDK users get by
name (``OTEL_PROPAGATORS``, ``OTEL_TRACES_SAMPLER``, ``OTEL_TRACES_EXPORTER``), and
scopetel's ``trace_lifecycle="stream"`` mode, which sends the same span envelopes."""

import json
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import Decision

import scopetel
from scopetel._config.options import Options
from scopetel._config.resolution import forget_auto_options
from scopetel._pipeline.records import CompactSpan
from scopetel._pipeline.segment_resolver import SegmentResolver
from scopetel._pipeline.span_exporter import SentrySpanExporter
from scopetel._setup.entry_points import ScopetelPropagator, sampler_from_env
from scopetel._tracing.sampler import TracesSampler
from scopetel.testing import CapturingTransport
from tests.support.reference import REFERENCE_DIR
from tests.support.sentry_receiver import SentryReceiver

REFERENCE = REFERENCE_DIR / "stream-01.envelope"
DSN = "https://public@o1.ingest.sentry.io/42"


@pytest.fixture(autouse=True)
def _fresh_auto_options() -> Iterator[None]:
    forget_auto_options()
    yield
    forget_auto_options()


@pytest.mark.parametrize(
    ("group", "cls"),
    [
        ("opentelemetry_propagator", ScopetelPropagator),
        ("opentelemetry_traces_exporter", SentrySpanExporter),
    ],
)
def test_entry_points_load(group: str, cls: type) -> None:
    (entry_point,) = [ep for ep in entry_points(group=group) if ep.name == "scopetel"]
    assert entry_point.load() is cls


def test_propagator_needs_no_arguments_and_injects_both_headers() -> None:
    provider = TracerProvider(sampler=TracesSampler(1.0))
    carrier: dict[str, str] = {}
    with provider.get_tracer("t").start_as_current_span("root", Context()):
        ScopetelPropagator().inject(carrier)
    trace_id, _, sampled = carrier["sentry-trace"].split("-")
    assert sampled == "1"
    assert f"sentry-trace_id={trace_id}" in carrier["baggage"]


def test_sampler_rate_from_sentry_variable_then_arg(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def decides(sampler: Any, trace_id: int) -> bool:
        decision = sampler.should_sample(Context(), trace_id, "x").decision
        return bool(decision == Decision.RECORD_AND_SAMPLE)

    low, high = 1, (1 << 56) - 1  # sample_rand 0.0 and ~1.0 from the trace id's bits
    assert decides(sampler_from_env(None), high)  # default 1.0
    assert not decides(sampler_from_env("0.5"), high)
    assert decides(sampler_from_env("0.5"), low)
    assert decides(sampler_from_env("abc"), high)  # bad arg: one line, default 1.0
    assert [r.getMessage() for r in caplog.records] == [
        "scopetel: OTEL_TRACES_SAMPLER_ARG must be a number, got 'abc'; using 1.0 instead"
    ]
    monkeypatch.setenv("SENTRY_TRACES_SAMPLE_RATE", "0")
    forget_auto_options()
    assert not decides(sampler_from_env("1.0"), low)  # the Sentry variable wins


def _provider(exporter: SentrySpanExporter) -> TracerProvider:
    resource = Resource.create({"service.name": "shop"})
    provider = TracerProvider(sampler=TracesSampler(1.0), resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(exporter))  # one span per export call
    return provider


def _spans(transport: CapturingTransport) -> list[dict[str, Any]]:
    return [entry for item in transport.items("span") for entry in item.json()["items"]]


def test_exporter_places_children_exported_before_their_root() -> None:
    transport = CapturingTransport()
    exporter = SentrySpanExporter(
        transport=transport, options=Options(dsn=DSN, release="shop@1", environment="prod")
    )
    tracer = _provider(exporter).get_tracer("t")
    root_span = tracer.start_as_current_span("GET /cart", Context(), trace.SpanKind.SERVER)
    with root_span as root:
        with tracer.start_as_current_span("SELECT"):
            pass
        assert _spans(transport) == []  # the child waits for its segment's root
    spans = {span["name"]: span for span in _spans(transport)}
    root_id = f"{root.get_span_context().span_id:016x}"
    assert set(spans) == {"GET /cart", "SELECT"}
    assert spans["GET /cart"]["is_segment"] and not spans["SELECT"]["is_segment"]
    for span in spans.values():
        attributes = span["attributes"]
        assert attributes["sentry.segment.id"]["value"] == root_id
        assert attributes["sentry.segment.name"]["value"] == "GET /cart"
        assert attributes["sentry.release"] == {"value": "shop@1", "type": "string"}
        assert attributes["service.name"] == {"value": "shop", "type": "string"}
    (envelope,) = transport.envelopes
    assert envelope.headers["trace"]["public_key"] == "public"
    assert envelope.headers["trace"]["environment"] == "prod"
    assert envelope.headers["trace"]["transaction"] == "GET /cart"


def test_exporter_envelopes_are_shaped_like_sentry_sdks() -> None:
    reference = REFERENCE.read_bytes().split(b"\n")
    expected_item = json.loads(reference[1])
    transport = CapturingTransport()
    exporter = SentrySpanExporter(transport=transport, options=Options(dsn=DSN))
    with _provider(exporter).get_tracer("t").start_as_current_span("job", Context()):
        pass
    (item,) = transport.items("span")
    assert item.headers["content_type"] == expected_item["content_type"]
    assert item.headers["item_count"] == 1
    payload = item.json()
    assert payload["version"] == json.loads(reference[2])["version"] == 2
    reference_keys = set(json.loads(reference[2])["items"][1])
    assert set(payload["items"][0]) == reference_keys


def test_exporter_flush_sends_orphans_as_their_own_segments() -> None:
    transport = CapturingTransport()
    exporter = SentrySpanExporter(transport=transport, options=Options(dsn=DSN))
    tracer = _provider(exporter).get_tracer("t")
    root = tracer.start_span("never ends", Context())
    with tracer.start_as_current_span("child", context=trace.set_span_in_context(root)):
        pass
    assert _spans(transport) == []
    assert exporter.force_flush(1000)
    (child,) = _spans(transport)
    assert (
        child["is_segment"] and child["parent_span_id"] == f"{root.get_span_context().span_id:016x}"
    )
    exporter.shutdown()
    exporter.shutdown()  # idempotent


def test_exporter_without_dsn_drops_quietly_after_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = SentrySpanExporter(options=Options())
    with _provider(exporter).get_tracer("t").start_as_current_span("job", Context()):
        pass
    assert [r.getMessage() for r in caplog.records] == [
        "scopetel: SentrySpanExporter has no SENTRY_DSN; spans are dropped"
    ]


def test_exporter_over_http_to_a_strict_receiver() -> None:
    with SentryReceiver() as receiver:
        exporter = SentrySpanExporter(options=Options(dsn=receiver.dsn))
        with _provider(exporter).get_tracer("t").start_as_current_span("job", Context()):
            pass
        exporter.shutdown()
        receiver.wait_for(lambda: receiver.items("span"))
        assert receiver.errors == []


def _compact(span_id: int, parent: int | None, name: str) -> CompactSpan:
    return CompactSpan(
        1,
        span_id,
        parent,
        False,
        name,
        trace.SpanKind.INTERNAL,
        0,
        1,
        trace.StatusCode.UNSET,
        None,
        {},
        "t",
    )


def test_resolver_follows_chains_and_bounds_waiting() -> None:
    resolver = SegmentResolver(max_known=2, max_waiting=2, max_wait_s=10.0)
    assert resolver.add([_compact(3, 2, "grandchild")], now=0.0) == []
    assert resolver.add([_compact(2, 1, "child")], now=0.0) == []
    placed = resolver.add([_compact(1, None, "root")], now=1.0)
    assert sorted((span.span_id, root, name) for span, root, name in placed) == [
        (1, 1, "root"),
        (2, 1, "root"),
        (3, 1, "root"),
    ]
    assert resolver.waiting == 0
    assert resolver.add([_compact(9, 8, "late")], now=1.0) == []
    (expired,) = resolver.add([], now=12.0)  # waited longer than max_wait_s
    assert expired[1:] == (9, "late")
    for index in range(3):
        resolver.add([_compact(100 + index, 50 + index, "x")], now=20.0)
    assert resolver.waiting <= 2


def test_stream_lifecycle_in_process() -> None:
    transport = CapturingTransport()
    scopetel.init(
        transport=transport,
        traces_sample_rate=1.0,
        trace_lifecycle="stream",
        release="s@1",
        default_integrations=False,
    )
    try:
        with scopetel.start_transaction(name="stream-root", op="task"):
            with scopetel.start_span(op="db", name="stream-child"):
                pass
        scopetel.flush(2.0)
        spans = {span["name"]: span for span in _spans(transport)}
        assert set(spans) == {"stream-root", "stream-child"}
        assert transport.transactions() == []
        child = spans["stream-child"]["attributes"]
        assert child["sentry.op"]["value"] == "db"
        assert child["sentry.trace_lifecycle"]["value"] == "stream"
        assert child["sentry.segment.name"]["value"] == "stream-root"
        envelope = transport.envelopes[-1]
        assert envelope.headers["trace"]["transaction"] == "stream-root"
    finally:
        scopetel.init(transport=CapturingTransport(), default_integrations=False)
