"""Transactions: our spans and any OTel instrumentation's, trace continuation, sampling."""

from collections.abc import Iterator

import pytest
from opentelemetry import trace as otel_trace

import scopetel
from scopetel._propagation.headers import parse_baggage
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event

UPSTREAM_TRACE = "771a43a4192642f0b136d5159a501700"
UPSTREAM_SPAN = "b3a1f0c24e5d6a7f"


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0, release="r@1", environment="prod") as t:
        yield t
    for transaction in t.transactions():
        assert_valid_event(transaction)


def _envelope_of(transport: CapturingTransport, item_type: str) -> object:
    return next(e for e in transport.envelopes if e.items[0].type == item_type)


def test_transaction_holds_its_children_tags_and_measurements(transport) -> None:
    with scopetel.isolation_scope():
        scopetel.set_tag("tenant", "acme")
        with scopetel.start_transaction(name="checkout", op="task") as root:
            root.set_tag("step", "pay")
            with scopetel.start_span(op="db", name="insert order") as child:
                child.set_data("db.system", "sqlite")
            scopetel.set_measurement("cart.items", 3, "none")
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert transaction["transaction"] == "checkout"
    assert transaction["transaction_info"] == {"source": "custom"}
    assert transaction["contexts"]["trace"]["op"] == "task"
    assert transaction["contexts"]["trace"]["span_id"] == root.span_id
    assert transaction["tags"]["tenant"] == "acme" and transaction["tags"]["step"] == "pay"
    (span,) = transaction["spans"]
    assert (span["op"], span["description"]) == ("db", "insert order")
    assert span["parent_span_id"] == root.span_id
    assert span["data"]["db.system"] == "sqlite"
    assert transaction["measurements"]["cart.items"]["value"] == 3
    assert transaction["release"] == "r@1"


def test_otel_instrumentation_spans_nest_with_ours_both_ways(transport) -> None:
    tracer = otel_trace.get_tracer("opentelemetry.instrumentation.example")
    with scopetel.start_transaction(name="mixed") as root:
        with tracer.start_as_current_span("GET /inner") as contrib:
            with scopetel.start_span(op="ours", name="inside contrib") as ours:
                pass
    scopetel.flush()
    spans = {span["description"]: span for span in transport.transactions()[0]["spans"]}
    contrib_id = f"{contrib.get_span_context().span_id:016x}"
    assert spans["GET /inner"]["parent_span_id"] == root.span_id
    assert spans["inside contrib"]["parent_span_id"] == contrib_id
    assert ours.parent_span_id == contrib_id


def test_a_root_from_otel_instrumentation_is_a_transaction(transport) -> None:
    tracer = otel_trace.get_tracer("opentelemetry.instrumentation.example")
    with tracer.start_as_current_span("job", kind=otel_trace.SpanKind.CONSUMER):
        with scopetel.start_span(op="work", name="step"):
            pass
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert transaction["transaction"] == "job"
    assert [span["description"] for span in transaction["spans"]] == ["step"]


def test_continue_trace_from_sentry_headers_keeps_the_upstream_dsc(transport) -> None:
    headers = {
        "sentry-trace": f"{UPSTREAM_TRACE}-{UPSTREAM_SPAN}-1",
        "baggage": f"sentry-trace_id={UPSTREAM_TRACE},sentry-sample_rand=0.250000,"
        "sentry-sample_rate=0.5,sentry-public_key=upstream,sentry-sampled=true,other=1",
    }
    transaction = scopetel.continue_trace(headers, op="http.server", name="GET /x")
    with scopetel.start_transaction(transaction) as root:
        baggage = parse_baggage(scopetel.get_baggage() or "")
        assert scopetel.get_traceparent() == f"{UPSTREAM_TRACE}-{root.span_id}-1"
    scopetel.flush()
    (event,) = transport.transactions()
    assert event["contexts"]["trace"]["trace_id"] == UPSTREAM_TRACE
    assert event["contexts"]["trace"]["parent_span_id"] == UPSTREAM_SPAN
    header = _envelope_of(transport, "transaction").headers["trace"]
    assert header["public_key"] == "upstream" and header["sample_rand"] == "0.250000"
    assert baggage.sentry["sentry-public_key"] == "upstream"


def test_continue_trace_from_w3c_traceparent(transport) -> None:
    headers = {"traceparent": f"00-{UPSTREAM_TRACE}-{UPSTREAM_SPAN}-01"}
    with scopetel.start_transaction(scopetel.continue_trace(headers, name="w3c")):
        pass
    scopetel.flush()
    trace = transport.transactions()[0]["contexts"]["trace"]
    assert (trace["trace_id"], trace["parent_span_id"]) == (UPSTREAM_TRACE, UPSTREAM_SPAN)


@pytest.mark.parametrize(
    "headers",
    [
        {"sentry-trace": "nonsense"},
        {"sentry-trace": "0" * 32 + "-" + "0" * 16 + "-1"},
        {"traceparent": "00-xyz-abc-01", "baggage": "%%%,,=="},
        {"sentry-trace": UPSTREAM_TRACE + "-" + UPSTREAM_SPAN + "-7-extra"},
    ],
)
def test_malformed_headers_start_a_fresh_valid_trace(transport, headers) -> None:
    with scopetel.start_transaction(scopetel.continue_trace(headers, name="fresh")) as root:
        pass
    assert len(root.trace_id) == 32 and root.trace_id != "0" * 32
    assert root.trace_id != UPSTREAM_TRACE
    scopetel.flush()
    assert transport.transactions()[0]["contexts"]["trace"].get("parent_span_id") is None


def test_new_trace_dsc_in_header_equals_propagated_baggage(transport) -> None:
    with scopetel.start_transaction(name="head", op="task") as root:
        propagated = parse_baggage(scopetel.get_baggage() or "").sentry
        scopetel.set_transaction_name("renamed later")
    scopetel.flush()
    header = _envelope_of(transport, "transaction").headers["trace"]
    assert {f"sentry-{key}": value for key, value in header.items()} == dict(propagated)
    assert header["trace_id"] == root.trace_id and header["transaction"] == "head"
    assert header["sampled"] == "true" and header["sample_rate"] == "1.0"
    assert transport.transactions()[0]["transaction"] == "renamed later"


def test_traces_sample_rate_zero_sends_no_transactions() -> None:
    with capture_envelopes(traces_sample_rate=0.0) as transport:
        with scopetel.start_transaction(name="nope") as root:
            with scopetel.start_span(op="child") as child:
                assert not child.sampled
        assert not root.sampled
    assert transport.transactions() == []
    assert transport.lost[("sample_rate", "transaction")] == 1


def test_traces_sampler_sees_custom_context_and_decides() -> None:
    seen: list[dict] = []

    def sampler(context: dict) -> float:
        seen.append(context)
        return 1.0 if context.get("tenant") == "vip" else 0.0

    with capture_envelopes(traces_sampler=sampler) as transport:
        for tenant in ("vip", "free"):
            custom = {"tenant": tenant}
            with scopetel.start_transaction(name=tenant, custom_sampling_context=custom):
                pass
    assert [t["transaction"] for t in transport.transactions()] == ["vip"]
    assert seen[0]["transaction_context"]["name"] == "vip"


def test_before_send_transaction_can_drop_and_is_counted() -> None:
    def drop_health(event: dict, hint: dict) -> dict | None:
        return None if event["transaction"] == "health" else event

    with capture_envelopes(traces_sample_rate=1.0, before_send_transaction=drop_health) as t:
        for name in ("health", "checkout"):
            with scopetel.start_transaction(name=name):
                with scopetel.start_span(op="x"):
                    pass
    assert [tx["transaction"] for tx in t.transactions()] == ["checkout"]
    assert t.lost[("before_send", "transaction")] == 1
    assert t.lost[("before_send", "span")] == 2


def test_manual_finish_and_start_child(transport) -> None:
    transaction = scopetel.start_transaction(name="manual", op="job")
    child = transaction.start_child(op="step", name="one")
    child.set_status("not_found")
    child.finish()
    transaction.finish()
    scopetel.flush()
    (event,) = transport.transactions()
    assert event["spans"][0]["status"] == "not_found"
    assert event["spans"][0]["parent_span_id"] == transaction.span_id


def test_exception_in_span_marks_it_internal_error(transport) -> None:
    with pytest.raises(ZeroDivisionError), scopetel.start_transaction(name="boom"):
        with scopetel.start_span(op="calc"):
            1 / 0  # noqa: B018
    scopetel.flush()
    event = transport.transactions()[0]
    assert event["spans"][0]["status"] == "internal_error"
    assert event["contexts"]["trace"]["status"] == "internal_error"


@pytest.mark.parametrize(("flag", "sent"), [("", True), ("-1", True), ("-0", False)])
def test_incoming_sampling_decision_is_followed_or_deferred(transport, flag, sent) -> None:
    headers = {"sentry-trace": f"{UPSTREAM_TRACE}-{UPSTREAM_SPAN}{flag}"}
    with scopetel.start_transaction(scopetel.continue_trace(headers, name="downstream")):
        traceparent = scopetel.get_traceparent()
    scopetel.flush()
    assert bool(transport.transactions()) is sent
    assert traceparent is not None and traceparent.startswith(UPSTREAM_TRACE)


def test_values_json_cannot_carry_are_made_safe(transport) -> None:
    with scopetel.start_transaction(name="odd values") as root:
        root.set_measurement("ratio", float("nan"))
        with scopetel.start_span(op="calc") as span:
            span.set_data("inf", float("inf"))
    scopetel.capture_message("nan extra", extras={"value": float("nan")})
    scopetel.flush()
    assert len(transport.transactions()) == 1
    assert transport.events()[0]["extra"]["value"] in ("nan", "NaN")


def test_stream_mode_envelopes_carry_the_received_dsc() -> None:
    headers = {
        "sentry-trace": f"{UPSTREAM_TRACE}-{UPSTREAM_SPAN}-1",
        "baggage": f"sentry-trace_id={UPSTREAM_TRACE},sentry-public_key=upstream,"
        "sentry-sample_rand=0.5,sentry-sampled=true",
    }
    with capture_envelopes(traces_sample_rate=1.0, trace_lifecycle="stream") as transport:
        with scopetel.start_transaction(scopetel.continue_trace(headers, name="streamed")):
            with scopetel.start_span(op="child"):
                pass
        scopetel.flush()
    span_envelopes = [e for e in transport.envelopes if e.items[0].type == "span"]
    assert span_envelopes
    for envelope in span_envelopes:
        assert envelope.headers["trace"]["public_key"] == "upstream"
        assert envelope.headers["trace"]["trace_id"] == UPSTREAM_TRACE


def test_start_span_attributes_are_span_data(transport) -> None:
    with scopetel.start_transaction(name="attrs"):
        with scopetel.start_span(op="db", name="q", attributes={"db.system": "sqlite", "n": 3}):
            pass
    scopetel.flush()
    data = transport.transactions()[0]["spans"][0]["data"]
    assert (data["db.system"], data["n"]) == ("sqlite", 3)
