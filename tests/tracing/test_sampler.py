"""TracesSampler with a real TracerProvider: Sentry's parent-based sampling rules."""

import logging
import random
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.context import Context, set_value
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

from scopetel._context.keys import CUSTOM_SAMPLING_CONTEXT, DSC
from scopetel._propagation.dsc import DynamicSamplingContext, sample_rand_from_trace_id
from scopetel._propagation.headers import extract_incoming
from scopetel._propagation.propagator import context_with_incoming
from scopetel._semconv.sentry_attributes import OP, SAMPLE_RAND, SAMPLE_RATE
from scopetel._tracing.sampler import TracesSampler, as_sample_rate

TRACE_HEX = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACE = int(TRACE_HEX, 16)
PARENT_SPAN = 0x00F067AA0BA902B7


class SeededIds(IdGenerator):
    """Reproducible ids, so two providers (two services) see the same trace ids."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._random.getrandbits(128) or 1


def make_tracer(seed: int = 1, **options: Any) -> trace.Tracer:
    provider = TracerProvider(sampler=TracesSampler(**options), id_generator=SeededIds(seed))
    return provider.get_tracer("test")


def remote_parent(
    flags: int = TraceFlags.SAMPLED, trace_state: TraceState | None = None
) -> Context:
    span_context = SpanContext(
        TRACE, PARENT_SPAN, True, TraceFlags(flags), trace_state or TraceState()
    )
    return trace.set_span_in_context(NonRecordingSpan(span_context))


def sentry_parent(flag: str, baggage: str | None = None) -> Context:
    headers = {"sentry-trace": f"{TRACE_HEX}-{PARENT_SPAN:016x}{flag}"}
    if baggage is not None:
        headers["baggage"] = baggage
    incoming = extract_incoming(headers)
    assert incoming is not None
    return context_with_incoming(incoming, Context())


def is_sampled(span: trace.Span) -> bool:
    sampled = span.get_span_context().trace_flags.sampled
    assert span.is_recording() is sampled  # unsampled spans are non-recording
    return sampled


# --- rates ---------------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "expected"), [(0.0, 0), (1.0, 500), (None, 0)])
def test_fixed_rates(rate: float | None, expected: int) -> None:
    tracer = make_tracer(traces_sample_rate=rate)
    assert sum(is_sampled(tracer.start_span("root")) for _ in range(500)) == expected


def test_half_rate_samples_about_half_by_trace_id() -> None:
    tracer = make_tracer(traces_sample_rate=0.5)
    spans = [tracer.start_span("root") for _ in range(4000)]
    sampled = [is_sampled(span) for span in spans]
    assert 0.45 < sum(sampled) / len(sampled) < 0.55
    for span, decision in zip(spans, sampled, strict=True):
        assert decision == (sample_rand_from_trace_id(span.get_span_context().trace_id) < 0.5)


def test_root_attributes() -> None:
    tracer = make_tracer(traces_sample_rate=1.0)
    span = tracer.start_span("root")
    trace_id = span.get_span_context().trace_id
    assert span.attributes is not None
    assert span.attributes[SAMPLE_RATE] == 1.0
    assert span.attributes[SAMPLE_RAND] == sample_rand_from_trace_id(trace_id)


def test_start_attributes_survive_on_roots_and_children() -> None:
    """The SDK gives a span the sampler's attributes, so the sampler must pass them on."""
    tracer = make_tracer(traces_sample_rate=1.0)
    root = tracer.start_span("root", attributes={OP: "task", "k": "v"})
    child = tracer.start_span("child", trace.set_span_in_context(root), attributes={"c": 1})
    assert root.attributes is not None and child.attributes is not None
    assert (root.attributes[OP], root.attributes["k"]) == ("task", "v")
    assert SAMPLE_RATE in root.attributes
    assert dict(child.attributes) == {"c": 1}


def test_two_services_agree_on_the_same_trace() -> None:
    """Service A starts traces; B continues each with a deferred decision and no DSC."""
    service_a = make_tracer(seed=7, traces_sample_rate=0.3)
    service_b = make_tracer(seed=99, traces_sample_rate=0.3)
    decisions = []
    for _ in range(1000):
        root = service_a.start_span("a")
        span_context = root.get_span_context()
        incoming = extract_incoming(
            {"sentry-trace": f"{span_context.trace_id:032x}-{span_context.span_id:016x}"}
        )
        assert incoming is not None
        continued = service_b.start_span("b", context=context_with_incoming(incoming, Context()))
        assert continued.get_span_context().trace_id == span_context.trace_id
        decisions.append(is_sampled(root))
        assert is_sampled(continued) == decisions[-1]
    assert 0.2 < sum(decisions) / len(decisions) < 0.4


def test_two_providers_same_trace_ids_same_decisions() -> None:
    first, second = (
        make_tracer(seed=3, traces_sample_rate=0.5),
        make_tracer(seed=3, traces_sample_rate=0.5),
    )
    for _ in range(300):
        one, two = first.start_span("x"), second.start_span("y")
        assert one.get_span_context().trace_id == two.get_span_context().trace_id
        assert is_sampled(one) == is_sampled(two)


# --- remote parents ---------------------------------------------------------------------


def test_remote_parent_decision_followed_without_traces_sampler() -> None:
    assert is_sampled(make_tracer(traces_sample_rate=0.0).start_span("x", remote_parent()))
    unsampled_parent = remote_parent(TraceFlags.DEFAULT)
    assert not is_sampled(make_tracer(traces_sample_rate=1.0).start_span("x", unsampled_parent))
    sampled_by_sentry = sentry_parent("-1")
    assert is_sampled(make_tracer(traces_sample_rate=0.0).start_span("x", sampled_by_sentry))
    refused_by_sentry = sentry_parent("-0")
    assert not is_sampled(make_tracer(traces_sample_rate=1.0).start_span("x", refused_by_sentry))


def test_remote_parent_not_followed_when_tracing_is_off() -> None:
    # like sentry_sdk: without traces_sample_rate or traces_sampler nothing is traced
    span = make_tracer().start_span("x", remote_parent())
    assert not is_sampled(span)


def test_remote_parent_followed_with_any_rate() -> None:
    span = make_tracer(traces_sample_rate=0.0).start_span("x", remote_parent())
    assert is_sampled(span)
    assert span.attributes is not None and span.attributes[SAMPLE_RATE] == 1.0


@pytest.mark.parametrize(("rate", "expected"), [(1.0, True), (0.0, False), (None, False)])
def test_deferred_remote_parent_uses_rate(rate: float | None, expected: bool) -> None:
    span = make_tracer(traces_sample_rate=rate).start_span("x", sentry_parent(""))
    assert span.get_span_context().trace_id == TRACE
    assert is_sampled(span) is expected


@pytest.mark.parametrize(("rand", "expected"), [("0.1", True), ("0.3", False)])
def test_incoming_sample_rand_honoured(rand: str, expected: bool) -> None:
    baggage = f"sentry-trace_id={TRACE_HEX},sentry-sample_rand={rand}"
    span = make_tracer(traces_sample_rate=0.2).start_span("x", sentry_parent("", baggage))
    assert is_sampled(span) is expected
    if expected:
        assert span.attributes is not None
        assert (span.attributes[SAMPLE_RATE], span.attributes[SAMPLE_RAND]) == (0.2, 0.1)


def test_sample_rand_of_another_trace_ignored() -> None:
    # derived sample_rand of TRACE is above 0.2; a foreign DSC claiming 0.0 must not count
    assert sample_rand_from_trace_id(TRACE) >= 0.2
    foreign = DynamicSamplingContext("0af7651916cd43dd8448eb211c80319c", sample_rand="0.0")
    context = set_value(DSC, foreign, sentry_parent(""))
    assert not is_sampled(make_tracer(traces_sample_rate=0.2).start_span("x", context))


def test_remote_trace_state_kept() -> None:
    state = TraceState([("vendor", "value")])
    span = make_tracer(traces_sample_rate=1.0).start_span("x", remote_parent(trace_state=state))
    assert span.get_span_context().trace_state == state
    child = make_tracer(traces_sample_rate=1.0).start_span("c", trace.set_span_in_context(span))
    assert child.get_span_context().trace_state == state


# --- children ----------------------------------------------------------------------------


def test_local_children_follow_parent_and_skip_traces_sampler() -> None:
    calls: list[dict[str, Any]] = []

    def sampler(context: dict[str, Any]) -> float:
        calls.append(context)
        return 1.0 if context["transaction_context"]["name"] == "keep" else 0.0

    tracer = make_tracer(traces_sampler=sampler)
    kept = tracer.start_span("keep")
    dropped = tracer.start_span("drop")
    assert len(calls) == 2
    kept_child = tracer.start_span("drop", trace.set_span_in_context(kept))
    dropped_child = tracer.start_span("keep", trace.set_span_in_context(dropped))
    assert len(calls) == 2  # children are never re-sampled
    assert is_sampled(kept_child) and not is_sampled(dropped_child)
    assert kept_child.attributes is not None and SAMPLE_RATE not in kept_child.attributes
    grandchild = tracer.start_span("g", trace.set_span_in_context(kept_child))
    assert is_sampled(grandchild)
    assert grandchild.get_span_context().trace_id == kept.get_span_context().trace_id


# --- traces_sampler ------------------------------------------------------------------------


def test_traces_sampler_receives_context() -> None:
    received: list[dict[str, Any]] = []

    def sampler(context: dict[str, Any]) -> bool:
        received.append(context)
        return True

    custom = {"wsgi_environ": {"PATH_INFO": "/health"}, "tenant": "acme"}
    context = set_value(CUSTOM_SAMPLING_CONTEXT, custom, remote_parent(TraceFlags.DEFAULT))
    tracer = make_tracer(traces_sample_rate=0.0, traces_sampler=sampler)
    span = tracer.start_span("GET /health", context, attributes={OP: "http.server", "k": 1})
    assert is_sampled(span)  # traces_sampler overrides the remote parent's decision
    (sampling_context,) = received
    assert sampling_context["parent_sampled"] is False
    assert sampling_context["wsgi_environ"] == {"PATH_INFO": "/health"}
    assert sampling_context["tenant"] == "acme"
    transaction_context = sampling_context["transaction_context"]
    assert transaction_context["name"] == "GET /health"
    assert transaction_context["op"] == "http.server"
    assert transaction_context["trace_id"] == TRACE_HEX
    assert transaction_context["parent_span_id"] == f"{PARENT_SPAN:016x}"
    assert transaction_context["parent_sampled"] is False
    assert transaction_context["data"] == {OP: "http.server", "k": 1}


def test_traces_sampler_root_without_parent() -> None:
    received: list[dict[str, Any]] = []

    def sampler(context: dict[str, Any]) -> float:
        received.append(context)
        return 0.0

    span = make_tracer(traces_sample_rate=1.0, traces_sampler=sampler).start_span("r")
    assert not is_sampled(span)
    assert received[0]["parent_sampled"] is None
    assert received[0]["transaction_context"]["parent_span_id"] is None
    assert received[0]["transaction_context"]["op"] is None


def test_traces_sampler_deferred_parent() -> None:
    received: list[Any] = []

    def sampler(context: dict[str, Any]) -> float:
        received.append(context["parent_sampled"])
        return 1.0

    assert is_sampled(make_tracer(traces_sampler=sampler).start_span("x", sentry_parent("")))
    assert received == [None]


@pytest.mark.parametrize(
    "returned", ["0.5", None, float("nan"), float("inf"), 1.5, -0.1, [1], object()]
)
def test_invalid_traces_sampler_returns(returned: object, caplog: pytest.LogCaptureFixture) -> None:
    tracer = make_tracer(traces_sample_rate=1.0, traces_sampler=lambda _: returned)
    with caplog.at_level(logging.DEBUG, logger="scopetel"):
        assert not is_sampled(tracer.start_span("first"))
        assert not is_sampled(tracer.start_span("second"))
    levels = [record.levelno for record in caplog.records if record.name == "scopetel"]
    assert levels == [logging.WARNING, logging.DEBUG]  # a warning once, then quiet
    assert "traces_sampler returned" in caplog.records[0].getMessage()


def test_traces_sampler_exception(caplog: pytest.LogCaptureFixture) -> None:
    def sampler(_: dict[str, Any]) -> float:
        raise RuntimeError("user bug")

    tracer = make_tracer(traces_sample_rate=1.0, traces_sampler=sampler)
    with caplog.at_level(logging.WARNING, logger="scopetel"):
        assert not is_sampled(tracer.start_span("x"))
    (record,) = caplog.records
    assert record.levelno == logging.WARNING and record.exc_info is not None


@pytest.mark.parametrize(("returned", "expected"), [(True, True), (False, False), (1, True)])
def test_traces_sampler_bool_and_int(returned: object, expected: bool) -> None:
    tracer = make_tracer(traces_sampler=lambda _: returned)
    assert all(is_sampled(tracer.start_span("x")) is expected for _ in range(50))


def test_traces_sampler_rate_uses_sample_rand() -> None:
    tracer = make_tracer(traces_sampler=lambda _: 0.5)
    for _ in range(200):
        span = tracer.start_span("x")
        rand = sample_rand_from_trace_id(span.get_span_context().trace_id)
        assert is_sampled(span) == (rand < 0.5)


# --- construction -------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [-0.1, 1.1, float("nan"), "0.5"])
def test_invalid_rate_rejected(rate: Any) -> None:
    with pytest.raises(ValueError, match="traces_sample_rate"):
        TracesSampler(traces_sample_rate=rate)


def test_non_callable_traces_sampler_rejected() -> None:
    with pytest.raises(TypeError):
        TracesSampler(traces_sampler=0.5)  # type: ignore[arg-type]


def test_description() -> None:
    assert TracesSampler(0.25).get_description() == (
        "TracesSampler{traces_sample_rate=0.25,traces_sampler=unset}"
    )
    assert "traces_sampler=set" in TracesSampler(None, lambda _: 1.0).get_description()


@pytest.mark.parametrize(
    ("value", "rate"), [(True, 1.0), (False, 0.0), (0, 0.0), (1, 1.0), (0.3, 0.3), ("1", None)]
)
def test_as_sample_rate(value: object, rate: float | None) -> None:
    assert as_sample_rate(value) == rate
