"""Outgoing trace headers go only where ``trace_propagation_targets`` allows, for every
propagator (``sentry-trace``, ``baggage`` and W3C ``traceparent``), through a real HTTP
client instrumentation and a real loopback server."""

from collections.abc import Iterator

import pytest
import requests
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.propagate import get_global_textmap, set_global_textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

import scopetel
from scopetel._setup.entry_points import ScopetelPropagator
from scopetel.testing import CapturingTransport
from tests.e2e.harness import HeaderServer

TRACE_HEADERS = {"sentry-trace", "baggage", "traceparent"}


@pytest.fixture
def servers() -> Iterator[tuple[HeaderServer, HeaderServer]]:
    original = get_global_textmap()
    set_global_textmap(
        CompositePropagator(
            [TraceContextTextMapPropagator(), W3CBaggagePropagator(), ScopetelPropagator()]
        )
    )
    RequestsInstrumentor().instrument()
    try:
        with HeaderServer() as ours, HeaderServer() as theirs:
            yield ours, theirs
    finally:
        RequestsInstrumentor().uninstrument()
        set_global_textmap(original)


def _call_both(ours: HeaderServer, theirs: HeaderServer) -> tuple[set[str], set[str]]:
    with scopetel.start_transaction(name="outgoing"):
        requests.get(f"{ours.url}/a", timeout=5)
        requests.get(f"{theirs.url}/b", timeout=5)
    return (
        TRACE_HEADERS & set(ours.headers_for("/a")),
        TRACE_HEADERS & set(theirs.headers_for("/b")),
    )


def test_headers_go_everywhere_by_default(servers: tuple[HeaderServer, HeaderServer]) -> None:
    scopetel.init(
        dsn="http://k@127.0.0.1:9/1", transport=CapturingTransport(), traces_sample_rate=1.0
    )
    assert _call_both(*servers) == (TRACE_HEADERS, TRACE_HEADERS)


def test_headers_go_only_to_matching_urls(servers: tuple[HeaderServer, HeaderServer]) -> None:
    ours, theirs = servers
    scopetel.init(
        dsn="http://k@127.0.0.1:9/1",
        transport=CapturingTransport(),
        traces_sample_rate=1.0,
        trace_propagation_targets=[ours.url.replace(".", r"\.")],
    )
    assert _call_both(ours, theirs) == (TRACE_HEADERS, set())


def test_propagate_traces_off_sends_no_headers(
    servers: tuple[HeaderServer, HeaderServer],
) -> None:
    scopetel.init(
        dsn="http://k@127.0.0.1:9/1",
        transport=CapturingTransport(),
        traces_sample_rate=1.0,
        propagate_traces=False,
    )
    assert _call_both(*servers) == (set(), set())


def test_enable_tracing_samples_everything_when_no_rate_is_set() -> None:
    transport = CapturingTransport()
    scopetel.init(dsn="http://k@127.0.0.1:9/1", transport=transport, enable_tracing=True)
    with scopetel.start_transaction(name="traced"):
        pass
    scopetel.flush()
    assert [e.items[0].type for e in transport.envelopes] == ["transaction"]
