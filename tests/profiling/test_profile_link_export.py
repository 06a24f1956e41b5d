"""A transaction's root is linked to the profile beside its attributes, not in them
(``_semconv.profile_link``): Sentry gets the link in the transaction, and an OTLP
collector the attributes it stands for, as before. In a child process: the exporter
added to the global provider must not outlive the test."""

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import SentryReceiver

SCRIPT = textwrap.dedent(
    """
    import json, sys, threading
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    import scopetel
    from scopetel.exporter import PrivateSpanExporter
    from scopetel.profiler import start_profiler, stop_profiler

    dsn, otlp = sys.argv[1:]
    scopetel.init(
        dsn=dsn, traces_sample_rate=1.0, profile_session_sample_rate=1.0,
        default_integrations=False,
    )
    exporter = PrivateSpanExporter(OTLPSpanExporter(endpoint=otlp + "/v1/traces"))
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    start_profiler()
    with scopetel.start_transaction(name="checkout", op="task") as root:
        with scopetel.start_span(op="compute", name="sum"):
            sum(range(1000))
        live = sorted(root.otel_span.attributes or {})
    stop_profiler()
    scopetel.flush(timeout=5.0)
    thread = threading.current_thread()
    print(json.dumps({"live": live, "thread_id": thread.ident, "thread_name": thread.name}))
    """
)


@pytest.fixture
def otlp() -> Iterator[OtlpHttpReceiver]:
    with OtlpHttpReceiver() as receiver:
        yield receiver
        assert receiver.errors == []


def test_otlp_gets_the_roots_link_as_attributes_and_sentry_the_same_ids(
    receiver: SentryReceiver, otlp: OtlpHttpReceiver
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, receiver.dsn, otlp.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    child = json.loads(done.stdout.strip().splitlines()[-1])
    otlp.wait_for(lambda: len(otlp.spans()) == 2)
    receiver.wait_for(lambda: receiver.transactions())
    (transaction,) = receiver.transactions()
    profiler_id = transaction["contexts"]["profile"]["profiler_id"]
    data = transaction["contexts"]["trace"]["data"]
    assert (data["profiler_id"], data["thread.id"], data["thread.name"]) == (
        profiler_id,
        str(child["thread_id"]),
        child["thread_name"],
    )
    by_name = {span.name: span for span in otlp.spans()}
    exported = by_name["checkout"].attributes
    assert exported["sentry.profiler_id"] == profiler_id
    assert str(exported["thread.id"]) == str(child["thread_id"])
    assert exported["thread.name"] == child["thread_name"]
    # the child ran on its root's thread: neither Sentry nor OTLP repeats the link
    assert not {"sentry.profiler_id", "thread.id"} & set(by_name["sum"].attributes)
    # the live span's own attributes never held the link
    assert not {"sentry.profiler_id", "thread.id", "thread.name"} & set(child["live"])
