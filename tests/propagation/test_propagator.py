"""SentryPropagator alone and composed after OpenTelemetry's W3C propagators."""

import pytest
from opentelemetry import baggage, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context, get_value, set_value
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from scopetel._context.keys import DSC
from scopetel._internal_errors import raise_internal_errors
from scopetel._propagation.dsc import DynamicSamplingContext, sample_rand_from_trace_id
from scopetel._propagation.headers import parse_baggage, parse_traceparent
from scopetel._propagation.propagator import (
    RemoteParentSpan,
    SentryPropagator,
    default_dsc_provider,
    outgoing_baggage,
    sampled_decision,
)
from scopetel._tracing.sampler import TracesSampler

TRACE_HEX = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_HEX = "00f067aa0ba902b7"
TRACE = int(TRACE_HEX, 16)
SPAN = int(SPAN_HEX, 16)
OTHER_TRACE_HEX = "0af7651916cd43dd8448eb211c80319c"
INCOMING_BAGGAGE = (
    f"sentry-trace_id={TRACE_HEX},sentry-sample_rand=0.123456,sentry-release=app%401.0,"
    "vendor=abc,userId=alice"
)


def composite() -> CompositePropagator:
    return CompositePropagator(
        [TraceContextTextMapPropagator(), W3CBaggagePropagator(), SentryPropagator()]
    )


def tracer(rate: float = 1.0) -> trace.Tracer:
    return TracerProvider(sampler=TracesSampler(rate)).get_tracer("test")


def parent_of(context: Context) -> SpanContext:
    return trace.get_current_span(context).get_span_context()


def baggage_keys(header: str) -> list[str]:
    return [member.split("=", 1)[0].strip() for member in header.split(",")]


# --- extract -------------------------------------------------------------------------------


def test_extract_sentry_headers_alone() -> None:
    context = SentryPropagator().extract(
        {"sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-1", "baggage": INCOMING_BAGGAGE}
    )
    parent = parent_of(context)
    assert (parent.trace_id, parent.span_id, parent.is_remote) == (TRACE, SPAN, True)
    assert parent.trace_flags.sampled
    dsc = get_value(DSC, context)
    assert isinstance(dsc, DynamicSamplingContext)
    assert (dsc.trace_id, dsc.sample_rand, dsc.release) == (TRACE_HEX, "0.123456", "app@1.0")


def test_extract_deferred_is_remembered() -> None:
    context = SentryPropagator().extract({"sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}"})
    span = trace.get_current_span(context)
    assert isinstance(span, RemoteParentSpan) and sampled_decision(span) is None
    assert get_value(DSC, context) is None


@pytest.mark.parametrize(
    "carrier",
    [
        {},
        {"sentry-trace": "garbage"},
        {"sentry-trace": f"{'0' * 32}-{SPAN_HEX}-1"},
        {"baggage": INCOMING_BAGGAGE},
        {"sentry-trace": ""},
    ],
)
def test_extract_without_trace_leaves_context(carrier: dict[str, str]) -> None:
    start = set_value("marker", 1, Context())
    assert SentryPropagator().extract(carrier, start) is start


def test_composed_extract_sentry_only() -> None:
    context = composite().extract(
        {"sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-0", "baggage": INCOMING_BAGGAGE}
    )
    parent = parent_of(context)
    assert (parent.trace_id, parent.span_id, parent.trace_flags.sampled) == (TRACE, SPAN, False)
    assert isinstance(get_value(DSC, context), DynamicSamplingContext)
    assert baggage.get_baggage("vendor", context) == "abc"


def test_composed_extract_w3c_only() -> None:
    context = composite().extract(
        {
            "traceparent": f"00-{TRACE_HEX}-{SPAN_HEX}-01",
            "tracestate": "congo=t61rcWkgMzE",
            "baggage": "vendor=abc",
        }
    )
    parent = parent_of(context)
    assert (parent.trace_id, parent.span_id, parent.trace_flags.sampled) == (TRACE, SPAN, True)
    assert parent.trace_state.get("congo") == "t61rcWkgMzE"
    assert get_value(DSC, context) is None
    assert baggage.get_baggage("vendor", context) == "abc"


def test_composed_extract_both_agree_keeps_w3c_span() -> None:
    carrier = {
        "traceparent": f"00-{TRACE_HEX}-{SPAN_HEX}-01",
        "tracestate": "congo=t61rcWkgMzE",
        "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-1",
        "baggage": INCOMING_BAGGAGE,
    }
    w3c_only = TraceContextTextMapPropagator().extract(carrier)
    context = SentryPropagator().extract(carrier, w3c_only)
    assert trace.get_current_span(context) is trace.get_current_span(w3c_only)
    assert isinstance(get_value(DSC, context), DynamicSamplingContext)
    assert parent_of(composite().extract(carrier)).trace_state.get("congo") == "t61rcWkgMzE"


def test_composed_extract_deferred_sentry_flag_wins_for_the_same_span() -> None:
    carrier = {
        "traceparent": f"00-{TRACE_HEX}-{SPAN_HEX}-00",
        "tracestate": "congo=t61rcWkgMzE",
        "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}",
    }
    context = composite().extract(carrier)
    span = trace.get_current_span(context)
    assert isinstance(span, RemoteParentSpan) and span.parent_sampled is None
    assert span.get_span_context().trace_state.get("congo") == "t61rcWkgMzE"
    # the deferred decision lets this service sample by its own rate
    child = tracer(1.0).start_span("child", context)
    assert child.get_span_context().trace_flags.sampled


def test_composed_extract_same_trace_other_span_keeps_traceparent() -> None:
    carrier = {
        "traceparent": f"00-{TRACE_HEX}-1111111111111111-01",
        "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-0",
        "baggage": INCOMING_BAGGAGE,
    }
    parent = parent_of(composite().extract(carrier))
    assert parent.span_id == 0x1111111111111111 and parent.trace_flags.sampled


def test_composed_extract_other_trace_confirmed_by_baggage() -> None:
    carrier = {
        "traceparent": f"00-{OTHER_TRACE_HEX}-{SPAN_HEX}-01",
        "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-1",
        "baggage": INCOMING_BAGGAGE,
    }
    context = composite().extract(carrier)
    assert parent_of(context).trace_id == TRACE
    unconfirmed = composite().extract({**carrier, "baggage": "vendor=abc"})
    assert parent_of(unconfirmed).trace_id == int(OTHER_TRACE_HEX, 16)
    assert get_value(DSC, unconfirmed) is None


def test_extract_multiple_baggage_values() -> None:
    carrier = {
        "sentry-trace": [f"{TRACE_HEX}-{SPAN_HEX}-1"],
        "baggage": [f"sentry-trace_id={TRACE_HEX}", "sentry-environment=prod"],
    }
    dsc = get_value(DSC, SentryPropagator().extract(carrier))
    assert dsc == DynamicSamplingContext(TRACE_HEX, environment="prod")


# --- inject -------------------------------------------------------------------------------


def test_inject_without_span_writes_nothing() -> None:
    carrier: dict[str, str] = {}
    SentryPropagator().inject(carrier, Context())
    composite().inject(carrier, Context())
    assert carrier == {}


def test_inject_new_trace() -> None:
    span = tracer().start_span("root")
    span_context = span.get_span_context()
    carrier: dict[str, str] = {}
    SentryPropagator().inject(carrier, trace.set_span_in_context(span))
    assert carrier["sentry-trace"] == (
        f"{span_context.trace_id:032x}-{span_context.span_id:016x}-1"
    )
    assert parse_baggage(carrier["baggage"]).sentry == {
        "sentry-trace_id": f"{span_context.trace_id:032x}",
        "sentry-sample_rand": f"{sample_rand_from_trace_id(span_context.trace_id):.6f}",
        "sentry-sampled": "true",
    }


def test_inject_unsampled_and_deferred() -> None:
    unsampled = tracer(0.0).start_span("root")
    carrier: dict[str, str] = {}
    SentryPropagator().inject(carrier, trace.set_span_in_context(unsampled))
    assert carrier["sentry-trace"].endswith("-0")
    assert "sentry-sampled=false" in carrier["baggage"]
    deferred = SentryPropagator().extract({"sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}"})
    carrier = {}
    SentryPropagator().inject(carrier, deferred)  # passing a trace through untouched
    assert carrier["sentry-trace"] == f"{TRACE_HEX}-{SPAN_HEX}"


def test_inject_uses_dsc_provider() -> None:
    provided = DynamicSamplingContext(TRACE_HEX, release="r", transaction="t x")
    seen: list[Context] = []

    def provider(context: Context) -> DynamicSamplingContext | None:
        seen.append(context)
        return provided

    context = trace.set_span_in_context(
        NonRecordingSpan(SpanContext(TRACE, SPAN, False, TraceFlags(TraceFlags.SAMPLED)))
    )
    carrier: dict[str, str] = {}
    SentryPropagator(provider).inject(carrier, context)
    assert seen == [context]
    assert (
        carrier["baggage"]
        == f"sentry-trace_id={TRACE_HEX},sentry-release=r,sentry-transaction=t%20x"
    )


def test_inject_provider_without_dsc_keeps_other_baggage() -> None:
    context = baggage.set_baggage("vendor", "a b", Context())
    context = trace.set_span_in_context(tracer().start_span("root"), context)
    carrier: dict[str, str] = {}
    SentryPropagator(lambda _: None).inject(carrier, context)
    assert carrier["baggage"] == "vendor=a%20b"


def test_default_dsc_provider() -> None:
    incoming = SentryPropagator().extract(
        {"sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-1", "baggage": INCOMING_BAGGAGE}
    )
    child = tracer().start_span("child", incoming)
    child_context = trace.set_span_in_context(child, incoming)
    assert default_dsc_provider(child_context) is get_value(DSC, incoming)
    root = tracer().start_span("root")
    other_trace = trace.set_span_in_context(root, incoming)  # stale DSC of another trace
    dsc = default_dsc_provider(other_trace)
    assert dsc is not None and dsc.trace_id == f"{root.get_span_context().trace_id:032x}"
    assert default_dsc_provider(Context()) is None


def test_composed_inject_after_continuing_a_trace() -> None:
    incoming = composite().extract(
        {
            "traceparent": f"00-{TRACE_HEX}-{SPAN_HEX}-01",
            "tracestate": "congo=t61rcWkgMzE",
            "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-1",
            "baggage": INCOMING_BAGGAGE,
        }
    )
    child = tracer().start_span("client", incoming)
    child_id = child.get_span_context().span_id
    carrier: dict[str, str] = {}
    composite().inject(carrier, trace.set_span_in_context(child, incoming))
    assert carrier["traceparent"] == f"00-{TRACE_HEX}-{child_id:016x}-01"
    assert carrier["tracestate"] == "congo=t61rcWkgMzE"
    assert carrier["sentry-trace"] == f"{TRACE_HEX}-{child_id:016x}-1"
    keys = baggage_keys(carrier["baggage"])
    assert sorted(keys) == sorted(
        ["sentry-trace_id", "sentry-sample_rand", "sentry-release", "vendor", "userId"]
    )
    parsed = parse_baggage(carrier["baggage"])
    assert parsed.sentry["sentry-sample_rand"] == "0.123456"  # the incoming DSC, unchanged
    assert parsed.sentry["sentry-release"] == "app@1.0"
    assert set(parsed.third_party) == {"vendor=abc", "userId=alice"}


def test_composed_inject_new_trace_with_otel_baggage() -> None:
    span = tracer().start_span("root")
    context = baggage.set_baggage("tenant", "acme", trace.set_span_in_context(span))
    context = baggage.set_baggage("sentry-release", "stale", context)
    carrier: dict[str, str] = {}
    composite().inject(carrier, context)
    assert {"traceparent", "sentry-trace", "baggage"} <= set(carrier)
    keys = baggage_keys(carrier["baggage"])
    assert len(keys) == len(set(keys))
    assert "tenant" in keys and "sentry-trace_id" in keys
    assert "sentry-release" not in keys  # only the DSC speaks for sentry-*


def test_round_trip_between_two_services() -> None:
    service_a, service_b = tracer(0.5), tracer(0.5)
    for _ in range(200):
        root = service_a.start_span("a")
        carrier: dict[str, str] = {}
        composite().inject(carrier, trace.set_span_in_context(root))
        received = composite().extract(carrier)
        continued = service_b.start_span("b", received)
        assert parent_of(received).span_id == root.get_span_context().span_id
        assert continued.get_span_context().trace_id == root.get_span_context().trace_id
        sampled = root.get_span_context().trace_flags.sampled
        assert continued.get_span_context().trace_flags.sampled == sampled


def test_provider_bug_never_reaches_the_app(caplog: pytest.LogCaptureFixture) -> None:
    def broken(_: Context) -> DynamicSamplingContext | None:
        raise RuntimeError("scopetel bug")

    context = trace.set_span_in_context(tracer().start_span("root"))
    carrier: dict[str, str] = {}
    raise_internal_errors(False)
    try:
        SentryPropagator(broken).inject(carrier, context)
    finally:
        raise_internal_errors(True)
    assert "sentry-trace" in carrier and "baggage" not in carrier
    assert any("internal error" in record.getMessage() for record in caplog.records)


def test_outgoing_baggage() -> None:
    assert outgoing_baggage(Context(), None) == ""
    context = baggage.set_baggage("k", "v", Context())
    dsc = DynamicSamplingContext(TRACE_HEX)
    assert outgoing_baggage(context, dsc) == f"sentry-trace_id={TRACE_HEX},k=v"


def test_fields() -> None:
    assert SentryPropagator().fields == {"sentry-trace", "baggage"}
    assert {"traceparent", "sentry-trace", "baggage"} <= composite().fields


@pytest.mark.parametrize(
    "carrier",
    [
        {
            "sentry-trace": f"{TRACE_HEX}-{SPAN_HEX}-1".encode(),
            "baggage": INCOMING_BAGGAGE.encode(),
        },
        {"sentry-trace": [f"{TRACE_HEX}-{SPAN_HEX}-1".encode()], "baggage": [INCOMING_BAGGAGE]},
        {"sentry-trace": f"\r\n{TRACE_HEX}-{SPAN_HEX}-1\r\n", "baggage": INCOMING_BAGGAGE},
    ],
)
def test_extract_reads_bytes_and_surrounding_newlines(carrier: dict[str, object]) -> None:
    context = SentryPropagator().extract(carrier)
    assert parent_of(context).trace_id == TRACE
    dsc = get_value(DSC, context)
    assert isinstance(dsc, DynamicSamplingContext) and dsc.release == "app@1.0"


@pytest.mark.parametrize(
    "carrier", [{"sentry-trace": 5}, {"sentry-trace": [1, 2], "baggage": 7}, {"baggage": object()}]
)
def test_extract_ignores_other_values_quietly(
    carrier: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    raise_internal_errors(False)
    try:
        context = SentryPropagator().extract(carrier)
    finally:
        raise_internal_errors(True)
    assert not parent_of(context).is_valid
    assert not caplog.records


def test_traceparent_with_surrounding_newlines_is_continued() -> None:
    value = f"\r\n00-{TRACE_HEX}-{SPAN_HEX}-01\n"
    assert parse_traceparent(value) is not None
    assert parse_traceparent(value.strip()) == parse_traceparent(value)


def test_a_lone_surrogate_in_a_baggage_key_never_breaks_the_header() -> None:
    context = baggage.set_baggage("k\udcff", "v\udcfe", Context())
    span = NonRecordingSpan(SpanContext(TRACE, SPAN, True, TraceFlags(TraceFlags.SAMPLED)))
    context = trace.set_span_in_context(span, context)
    carrier: dict[str, str] = {}
    SentryPropagator().inject(carrier, context)
    assert carrier["baggage"].encode()  # valid text
    assert "k%3F=v%3F" in carrier["baggage"]
