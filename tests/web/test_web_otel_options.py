"""What OpenTelemetry users configure for the requests whose server span scopetel's web
layers start (as for contrib's): HTTP server metrics, excluded URLs, captured headers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from scopetel_instrumentation_wsgi import ScopetelWSGIMiddleware

import scopetel
from scopetel._web import captured_headers, excluded_urls
from scopetel._web.info import RequestInfo
from scopetel._web.server_metrics import error_type
from scopetel.testing import CapturingTransport, capture_envelopes

_METERED = r"""
import json, sys
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
import scopetel
from scopetel_instrumentation_wsgi import ScopetelWSGIMiddleware
scopetel.init(dsn="http://key@127.0.0.1:9/1", traces_sample_rate=0.0, default_integrations=False)

def app(environ, start_response):
    if environ["PATH_INFO"] == "/fail":
        raise KeyError("no")
    start_response("200 OK" if environ["PATH_INFO"] != "/gone" else "404 Not Found", [])
    return [b"ok"]

layer = ScopetelWSGIMiddleware(app)
for path in ("/a", "/a", "/gone", "/healthz", "/fail"):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "h",
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http"}
    try:
        list(layer(environ, lambda *a: None))
    except KeyError:
        pass
points = {}
for rm in reader.get_metrics_data().resource_metrics:
    for sm in rm.scope_metrics:
        for metric in sm.metrics:
            for point in metric.data.data_points:
                value = getattr(point, "count", None)
                if value is None:
                    value = point.value
                points.setdefault(metric.name, []).append(
                    {"scope": sm.scope.name, "unit": metric.unit, "value": value,
                     "attributes": dict(point.attributes)})
print(json.dumps(points))
"""


def test_every_request_is_measured_sampled_or_not_excluded_ones_never() -> None:
    env = {**os.environ, "OTEL_PYTHON_EXCLUDED_URLS": "healthz,ready"}
    result = subprocess.run(
        [sys.executable, "-c", _METERED], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    points: dict[str, list[dict[str, Any]]] = json.loads(result.stdout.splitlines()[-1])
    durations = {
        (p["attributes"].get("http.response.status_code"), p["attributes"].get("error.type")): p
        for p in points["http.server.request.duration"]
    }
    assert {key: p["value"] for key, p in durations.items()} == {
        (200, None): 2,  # traces_sample_rate=0: not traced, still counted
        (404, None): 1,
        (500, "KeyError"): 1,  # the application raised: the server answers 500
    }
    assert {p["unit"] for p in durations.values()} == {"s"}
    assert durations[200, None]["attributes"] == {
        "http.request.method": "GET",
        "url.scheme": "http",
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
    }
    (active,) = points["http.server.active_requests"]
    assert (active["value"], active["scope"]) == (0, "scopetel.web")  # every one ended


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    excluded_urls.reset()
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as captured:
        yield captured
    excluded_urls.reset()


def test_an_excluded_url_is_served_in_its_own_scopes_without_a_transaction(
    transport: CapturingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_WSGI_EXCLUDED_URLS", r"/healthz$")
    seen: list[bool] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        scopetel.set_tag("path", environ["PATH_INFO"])
        with scopetel.start_span(op="check", name="database ping") as span:
            seen.append(span.sampled)
        if environ["PATH_INFO"] == "/healthz":
            scopetel.capture_message("health check failed")
        start_response("200 OK", [])
        return [b"ok"]

    layer = ScopetelWSGIMiddleware(app)
    for path in ("/healthz", "/orders"):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.url_scheme": "http"}
        list(layer({**environ, "SERVER_NAME": "h", "SERVER_PORT": "80"}, lambda *a: None))
    scopetel.flush()
    assert seen == [False, True]  # under the excluded request, spans are not sampled
    assert [t["transaction"] for t in transport.transactions()] == ["GET /orders"]
    (event,) = transport.events()  # errors in an excluded request are still reported
    assert event["tags"] == {"path": "/healthz"}
    assert scopetel.get_isolation_scope().data.tags == {}


FLASK = "OTEL_PYTHON_FLASK_EXCLUDED_URLS"


def test_excluded_url_variables(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    info = RequestInfo.from_environ(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/ping", "QUERY_STRING": "deep=1",
         "HTTP_HOST": "api.example", "wsgi.url_scheme": "https"}
    )  # fmt: skip
    cases = [
        ({"OTEL_PYTHON_EXCLUDED_URLS": "ping"}, "flask", True),
        ({"OTEL_PYTHON_EXCLUDED_URLS": "ping", FLASK: "health"}, "flask", False),
        ({"OTEL_PYTHON_EXCLUDED_URLS": r"^https://api\.example/ping\?deep=1$"}, "asgi", True),
        ({"OTEL_PYTHON_FASTAPI_EXCLUDED_URLS": "ping"}, "starlette", True),  # FastAPI's
        ({"OTEL_PYTHON_EXCLUDED_URLS": " "}, "wsgi", False),
        ({"OTEL_PYTHON_EXCLUDED_URLS": "(unclosed"}, "wsgi", False),
    ]  # fmt: skip
    for variables, mechanism, expected in cases:
        for name in ("OTEL_PYTHON_EXCLUDED_URLS", "OTEL_PYTHON_FLASK_EXCLUDED_URLS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        excluded_urls.reset()
        assert excluded_urls.is_excluded(info, mechanism) is expected, variables
    assert "OTEL_PYTHON_EXCLUDED_URLS ignored" in caplog.text
    excluded_urls.reset()


def test_error_type_names_the_exception_else_a_server_error_status() -> None:
    assert error_type(KeyError("k"), None) == "KeyError"
    assert error_type(json.JSONDecodeError("m", "d", 0), 500) == "json.decoder.JSONDecodeError"
    assert error_type(None, 503) == "503"
    assert error_type(None, 404) is None
    assert error_type(None, None) is None


def test_headers_asked_for_become_attributes_sanitized_as_asked(
    transport: CapturingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_"
    monkeypatch.setenv(prefix + "SERVER_REQUEST", "X-Request-ID, x-tenant-.*")
    monkeypatch.setenv(prefix + "SERVER_RESPONSE", "content-type,X-Cache")
    monkeypatch.setenv(prefix + "SANITIZE_FIELDS", "tenant-plan")
    captured_headers.reset()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Cache", "hit")])
        return [b"ok"]

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/orders",
        "SERVER_NAME": "h",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "HTTP_X_REQUEST_ID": "r-1",
        "HTTP_X_TENANT_NAME": "acme",
        "HTTP_X_TENANT_TOKEN": "t0ps3cret",
        "HTTP_X_TENANT_PLAN": "gold",
        "HTTP_X_OTHER": "not asked",
    }
    try:
        list(ScopetelWSGIMiddleware(app)(environ, lambda *a: None))
        scopetel.flush()
    finally:
        captured_headers.reset()
    (transaction,) = transport.transactions()
    data = transaction["contexts"]["trace"]["data"]
    headers = {key: value for key, value in data.items() if ".header." in key}
    assert headers == {
        "http.request.header.x_request_id": ["r-1"],
        "http.request.header.x_tenant_name": ["acme"],
        "http.request.header.x_tenant_plan": ["[REDACTED]"],  # sanitized as asked
        "http.request.header.x_tenant_token": "[Filtered]",  # a secret by its name, always
        "http.response.header.content_type": ["text/plain"],
        "http.response.header.x_cache": ["hit"],
    }


def test_no_header_is_recorded_unless_asked(transport: CapturingTransport) -> None:
    captured_headers.reset()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-Cache", "hit")])
        return [b"ok"]

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_X_REQUEST_ID": "r-1"}
    list(ScopetelWSGIMiddleware(app)({**environ, "wsgi.url_scheme": "http"}, lambda *a: None))
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert not [key for key in transaction["contexts"]["trace"]["data"] if ".header." in key]


def test_asgi_headers_asked_for_are_read_from_bytes(
    transport: CapturingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scopetel_instrumentation_asgi import ScopetelASGIMiddleware

    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", "x-request-id")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE", "x-cache")
    captured_headers.reset()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"x-cache", b"miss"), (b"x-cache", b"stale"), (b"x-other", b"no")]
        headers += [(b"x-cache",), b"x-cache", (b"x-cache", 3), (None, b"v")]  # not pairs
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        pass

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/a",
        "scheme": "http",
        "headers": [(b"host", b"h"), (b"x-request-id", b"r-9")],
    }
    try:
        asyncio.run(ScopetelASGIMiddleware(app)(scope, receive, send))
        scopetel.flush()
    finally:
        captured_headers.reset()
    (transaction,) = transport.transactions()
    data = transaction["contexts"]["trace"]["data"]
    assert data["http.request.header.x_request_id"] == ["r-9"]
    assert data["http.response.header.x_cache"] == ["miss", "stale"]
