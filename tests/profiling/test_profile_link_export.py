"""A transaction's root is linked to the profile beside its attributes, not in them
(``_semconv.profile_link``): Sentry gets the link in the transaction, and an OTLP
collector the attributes it stands for, as before."""

import threading
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import scopetel
from scopetel.exporter import PrivateSpanExporter
from scopetel.profiler import start_profiler, stop_profiler
from tests.profiling.support import init
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import SentryReceiver


@pytest.fixture
def otlp() -> Iterator[OtlpHttpReceiver]:
    with OtlpHttpReceiver() as receiver:
        yield receiver
        assert receiver.errors == []


def test_otlp_gets_the_roots_link_as_attributes_and_sentry_the_same_ids(
    receiver: SentryReceiver, otlp: OtlpHttpReceiver
) -> None:
    init(receiver, traces_sample_rate=1.0, profile_session_sample_rate=1.0)
    exporter = PrivateSpanExporter(OTLPSpanExporter(endpoint=f"{otlp.url}/v1/traces"))
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))  # type: ignore[attr-defined]
    start_profiler()
    try:
        with scopetel.start_transaction(name="checkout", op="task") as root:
            with scopetel.start_span(op="compute", name="sum"):
                sum(range(1000))
            live = dict(root.otel_span.attributes or {})
    finally:
        stop_profiler()
    scopetel.flush(timeout=5.0)
    otlp.wait_for(lambda: len(otlp.spans()) == 2)
    receiver.wait_for(lambda: receiver.transactions())
    (transaction,) = receiver.transactions()
    profiler_id = transaction["contexts"]["profile"]["profiler_id"]
    data = transaction["contexts"]["trace"]["data"]
    assert (data["profiler_id"], data["thread.id"], data["thread.name"]) == (
        profiler_id,
        str(threading.get_ident()),
        threading.current_thread().name,
    )
    by_name = {span.name: span for span in otlp.spans()}
    exported = by_name["checkout"].attributes
    assert exported["sentry.profiler_id"] == profiler_id
    assert str(exported["thread.id"]) == str(threading.get_ident())
    assert exported["thread.name"] == threading.current_thread().name
    # the child ran on its root's thread: neither Sentry nor OTLP repeats the link
    assert not {"sentry.profiler_id", "thread.id"} & set(by_name["sum"].attributes)
    # the live span's own attributes never held the link
    assert not {"sentry.profiler_id", "thread.id", "thread.name"} & set(live)
