"""What the pipeline drops is counted; what it keeps is sent whole (re-init, rate limits)."""

import contextvars
import functools
import gc
import logging
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from scopetel_exporter_sentry import Envelope, HttpTransport, Item

import scopetel
from scopetel._pipeline.span_stream import SpanStreamProcessor
from scopetel._propagation.headers import parse_baggage
from scopetel.testing import capture_envelopes

UPSTREAM_SENTRY_TRACE = "771a43a4192642f0b136d5159a501700-b3a1f0c24e5d6a7f-1"


def isolated(test: Callable[..., None]) -> Callable[..., None]:
    """Run the test body in a copy of the Context (stale state stays in the copy)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        contextvars.copy_context().run(test, *args, **kwargs)

    return run


# -- 4. Pipeline ---------------------------------------------------------------------------


def test_rate_limited_transaction_counts_its_spans() -> None:
    transport = HttpTransport("http://key@127.0.0.1:9/1")
    try:
        transport.rate_limits.update(status=429, rate_limits="60:transaction:key")
        payload = {"type": "transaction", "spans": [{}, {}, {}]}
        transport.capture_envelope(Envelope({}, [Item.from_json("transaction", payload)]))
        counts = transport.client_reports.counts()
    finally:
        transport.close(0.1)
    assert counts.get(("ratelimit_backoff", "transaction")) == 1
    assert counts.get(("ratelimit_backoff", "span")) == 4


@isolated
def test_transaction_dropped_by_event_processor_is_reported_as_such() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        with scopetel.isolation_scope() as scope:
            scope.add_event_processor(lambda event, hint: None)
            with scopetel.start_transaction(name="dropped"):
                pass
        scopetel.flush()
    assert transport.lost[("event_processor", "transaction")] == 1
    assert ("before_send", "transaction") not in transport.lost


def test_stream_processor_memory_is_bounded_for_spans_never_ended() -> None:
    processor = SpanStreamProcessor(lambda spans: None, max_open_spans=5_000)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("leaky")
    for _ in range(20_000):
        tracer.start_span("never ended")  # dropped by the application
    gc.collect()
    assert len(processor._open) < 10_000


@isolated
def test_transaction_open_across_reinit_is_sent() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as first:
        transaction = scopetel.start_transaction(name="in flight")
        before = transaction.start_child(op="before")
        with capture_envelopes(traces_sample_rate=1.0) as second:
            after = transaction.start_child(op="after")  # started under the new init()
            after.finish()
            before.finish()
            transaction.finish()
            scopetel.flush()
    assert first.transactions() == []  # its transport was closed by the second init()
    (sent,) = second.transactions()
    assert sorted(span["op"] for span in sent["spans"]) == ["after", "before"]
    assert second.lost == {}


@isolated
def test_finish_twice_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with capture_envelopes(traces_sample_rate=1.0):
        with scopetel.start_transaction(name="root"):
            with scopetel.start_span(op="step") as span:
                span.finish()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@isolated
def test_propagation_without_span_is_stable_and_has_baggage() -> None:
    with capture_envelopes(release="app@1"):
        with scopetel.isolation_scope():
            first, second = scopetel.get_traceparent(), scopetel.get_traceparent()
            baggage = scopetel.get_baggage()
    assert first == second
    assert baggage is not None and first is not None
    assert parse_baggage(baggage).sentry.get("sentry-trace_id") == first.split("-")[0]
