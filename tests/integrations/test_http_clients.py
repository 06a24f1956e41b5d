"""Outgoing HTTP through the integrations, to a real loopback server: inside a transaction
a client span and Sentry's trace headers (httpx through HttpxIntegration, requests through
StdlibIntegration's urllib3); outside one, no span and no transaction of its own."""

import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pytest
import requests

import scopetel
from scopetel.integrations.httpx import HttpxIntegration
from scopetel.integrations.stdlib import StdlibIntegration
from tests.e2e.harness import HeaderServer
from tests.integrations.conftest import Start


@pytest.fixture
def server() -> Iterator[HeaderServer]:
    with HeaderServer() as headers:
        yield headers


def _httpx_get(url: str) -> None:
    with httpx.Client() as client:
        client.get(url)


def _requests_get(url: str) -> None:
    requests.get(url, timeout=5)


CLIENTS = [
    pytest.param(HttpxIntegration, _httpx_get, id="httpx"),
    pytest.param(StdlibIntegration, _requests_get, id="requests"),
]


@pytest.mark.parametrize(("integration", "get"), CLIENTS)
def test_client_span_and_trace_headers_inside_a_transaction(
    start: Start,
    server: HeaderServer,
    integration: type,
    get: Callable[[str], None],
) -> None:
    transport = start(
        traces_sample_rate=1.0, default_integrations=False, integrations=[integration()]
    )
    with scopetel.start_transaction(name="calls") as transaction:
        get(f"{server.url}/inside")
    get(f"{server.url}/outside")
    scopetel.flush()
    (sent,) = transport.transactions()
    assert sent["transaction"] == "calls"
    (span,) = sent["spans"]
    assert span["op"] == "http.client"
    assert span["description"] == f"GET {server.url}/inside"
    inside = server.headers_for("/inside")
    assert inside["sentry-trace"].startswith(f"{transaction.trace_id}-{span['span_id']}")
    assert "sentry-trace" not in server.headers_for("/outside")


PROBE = """
import sys
import scopetel
scopetel.init()
print("imported by init:", "httpx" in sys.modules)
import httpx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
print("instrumented on import:", HTTPXClientInstrumentor().is_instrumented_by_opentelemetry)
"""


def test_a_library_is_instrumented_when_the_application_imports_it() -> None:
    """init() imports no library for its integration: seconds of start-up otherwise."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == ["imported by init: False", "instrumented on import: True"]
