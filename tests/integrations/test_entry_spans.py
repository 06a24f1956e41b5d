"""Contrib instrumentations enabled by an integration record client spans only inside a
transaction (as sentry_sdk's integrations do); entry points (server, consumer) always."""

from opentelemetry import trace as otel_trace
from opentelemetry.trace import SpanKind

import scopetel
from scopetel.integrations._entry_spans import ENTRY_SPAN_PROVIDER
from tests.integrations.conftest import Start


def test_client_span_without_a_local_parent_is_not_recorded(start: Start) -> None:
    transport = start(traces_sample_rate=1.0)
    tracer = ENTRY_SPAN_PROVIDER.get_tracer("tests.integrations")
    with tracer.start_as_current_span("GET /orphan", kind=SpanKind.CLIENT) as orphan:
        assert not orphan.is_recording()
        with tracer.start_as_current_span("nested") as nested:
            assert not nested.is_recording()
    scopetel.flush()
    assert transport.transactions() == []


def test_spans_under_a_transaction_and_entry_points_are_recorded(start: Start) -> None:
    transport = start(traces_sample_rate=1.0)
    tracer = ENTRY_SPAN_PROVIDER.get_tracer("tests.integrations")
    with scopetel.start_transaction(name="job"):
        with tracer.start_as_current_span("GET /api", kind=SpanKind.CLIENT) as child:
            assert child.is_recording()
    server = tracer.start_span("GET /items", kind=SpanKind.SERVER)
    server.end()
    consumer = tracer.start_span("run task", kind=SpanKind.CONSUMER)
    consumer.end()
    scopetel.flush()
    by_name = {t["transaction"]: t for t in transport.transactions()}
    assert [span["description"] for span in by_name["job"]["spans"]] == ["GET /api"]
    assert {"GET /items", "run task"} <= set(by_name)


def test_children_join_the_trace_of_their_parent(start: Start) -> None:
    start(traces_sample_rate=1.0)
    tracer = ENTRY_SPAN_PROVIDER.get_tracer("tests.integrations")
    with otel_trace.get_tracer("tests").start_as_current_span("parent") as parent:
        with tracer.start_as_current_span("child") as child:
            assert child.is_recording()
            assert child.parent is not None
            assert child.parent.span_id == parent.get_span_context().span_id
