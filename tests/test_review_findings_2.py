"""Review findings (second round): each test shows a bug and is xfail(strict) while it exists.

When a fix lands, its test starts passing, strict xfail turns that into a failure, and
the marker should be removed so the test guards the fix. Tests that touch scopes run in
a fork of the isolation scope (or a copy of the Context), so a leak stays in the test.
"""

import asyncio
import contextvars
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as ContribWSGI
from scopetel_instrumentation_asgi import ScopetelASGIMiddleware
from scopetel_instrumentation_stdlib.excepthook import ExcepthookInstrumentor
from scopetel_instrumentation_wsgi import ScopetelWSGIMiddleware

import scopetel
from scopetel._config.resolution import AUTO_INSTRUMENT_DEFAULTS, resolve
from scopetel._web.info import RequestInfo
from scopetel._web.request_data import ADDRESS_ATTRIBUTES, sentry_request
from scopetel.testing import capture_envelopes
from tests.e2e.harness import INSTRUMENT, app_env
from tests.support.sentry_receiver import SentryReceiver

WSGI_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "internal",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "203.0.113.7",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "shop.example",
}


def _asgi_scope(kind: str, path: str) -> dict[str, Any]:
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http" if kind == "http" else "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"shop.example")],
        "server": ("shop.example", 80),
        "client": ("203.0.113.7", 5555),
    }


async def _serve_asgi(app: Any, kind: str, path: str) -> None:
    """One connection, in its own task as uvicorn runs them."""
    incoming = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        return None

    await asyncio.create_task(app(_asgi_scope(kind, path), receive, send))


# -- 1. ASGI websocket connections share the process's isolation scope -------------------


def test_websocket_user_does_not_leak_into_later_http_requests() -> None:
    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            scopetel.set_user({"id": "alice"})
            scopetel.set_tag("ws_user", "alice")
            return
        scopetel.capture_message("page viewed")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = ScopetelASGIMiddleware(inner)

    async def server() -> None:
        await _serve_asgi(app, "websocket", "/ws")  # alice's socket
        await _serve_asgi(app, "http", "/page")  # somebody else's page view

    with scopetel.isolation_scope():  # contain the leak in a fork for other tests
        with capture_envelopes(default_integrations=False) as transport:
            contextvars.copy_context().run(asyncio.run, server())
            scopetel.flush()
    (event,) = transport.events()
    assert "user" not in event
    assert "ws_user" not in (event.get("tags") or {})


# -- 2. Starlette Mount: the mount's path is counted twice in the route --------------------


def test_starlette_mount_route_names_are_not_doubled() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount, Route

    async def static_files(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"body{}"})

    async def item(request: Request) -> PlainTextResponse:
        return PlainTextResponse("item")

    starlette_app = Starlette(
        routes=[
            Mount("/static", app=static_files),
            Mount("/api", routes=[Route("/items/{id}", item)]),
        ]
    )
    app = ScopetelASGIMiddleware(starlette_app)
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        for path in ("/static/site.css", "/api/items/3", "/api/missing"):
            contextvars.copy_context().run(asyncio.run, _serve_asgi(app, "http", path))
        scopetel.flush()
    names = [t["transaction"] for t in transport.transactions()]
    assert "GET /api/items/{id}" in names
    assert "GET /static/static" not in names
    assert "GET /api/api" not in names


# -- 3. trace_lifecycle="stream": client addresses of server spans without PII -----------


def _wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return iter([b"ok"])


def test_streamed_server_span_has_no_client_address_without_pii() -> None:
    app = ScopetelWSGIMiddleware(ContribWSGI(_wsgi_app))
    with capture_envelopes(
        traces_sample_rate=1.0, default_integrations=False, trace_lifecycle="stream"
    ) as transport:

        def serve() -> None:
            body = app(dict(WSGI_ENVIRON), lambda *args: None)
            b"".join(body)
            body.close()  # type: ignore[attr-defined]

        contextvars.copy_context().run(serve)
        scopetel.flush()
    spans = [span for item in transport.items("span") for span in item.json()["items"]]
    assert spans, "no spans streamed"
    leaked = {
        key: value
        for span in spans
        for key, value in span["attributes"].items()
        if key in ADDRESS_ATTRIBUTES
    }
    assert leaked == {}


# -- 4. Client-IP headers of CDNs and proxies are sent without PII ---------------------


def test_cdn_client_ip_headers_need_send_default_pii() -> None:
    environ = {
        **WSGI_ENVIRON,
        "HTTP_CF_CONNECTING_IP": "198.51.100.23",
        "HTTP_TRUE_CLIENT_IP": "198.51.100.24",
        "HTTP_X_CLIENT_IP": "198.51.100.25",
    }
    request = sentry_request(RequestInfo.from_environ(environ), pii=False, max_length=1024)
    assert not any("198.51.100." in value for value in request["headers"].values())


# -- 5. threading.excepthook reports sys.exit() in a thread --------------------------------


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_sys_exit_in_a_thread_is_not_an_error() -> None:
    instrumentor = ExcepthookInstrumentor()
    was_instrumented = instrumentor.is_instrumented_by_opentelemetry
    if not was_instrumented:
        instrumentor.instrument()
    try:
        with capture_envelopes(default_integrations=False) as transport:
            thread = threading.Thread(target=sys.exit, args=(0,))
            thread.start()
            thread.join(10)
            scopetel.flush()
    finally:
        if not was_instrumented:
            instrumentor.uninstrument()
    assert transport.events() == []


# -- 6. An empty SENTRY_TRACES_SAMPLE_RATE turns tracing off under opentelemetry-instrument -


def test_empty_traces_sample_rate_variable_keeps_the_default() -> None:
    options = resolve({}, {"SENTRY_TRACES_SAMPLE_RATE": ""}, defaults=AUTO_INSTRUMENT_DEFAULTS)
    assert options.traces_sample_rate == 1.0


# -- 7. OTEL_TRACES_EXPORTER=scopetel under scopetel's own configurator: everything twice --

_DUPLICATE_APP = """
from opentelemetry import trace

tracer = trace.get_tracer("review")
with tracer.start_as_current_span("root"):
    with tracer.start_as_current_span("child"):
        pass
print("app done")
"""


def test_scopetel_traces_exporter_does_not_duplicate_the_segment_processor(
    tmp_path: Path,
) -> None:
    script = tmp_path / "app.py"
    script.write_text(_DUPLICATE_APP)
    with SentryReceiver() as receiver:
        env = app_env(SENTRY_DSN=receiver.dsn, OTEL_TRACES_EXPORTER="scopetel")
        result = subprocess.run(
            [str(INSTRUMENT), sys.executable, str(script)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not receiver.items():
            time.sleep(0.05)
        time.sleep(0.3)
        kinds = {item.type for item in receiver.items()}
    assert kinds, "nothing reached Sentry"
    assert not {"transaction", "span"} <= kinds
