"""The web layers in-process: request parsing, PII rules, bodies driven in the request's
Context, adoption of contrib's server spans, and the server/framework hooks."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware as ContribASGI
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as ContribWSGI
from scopetel_instrumentation_asgi import ScopetelASGIMiddleware
from scopetel_instrumentation_asgi.middleware import route_of as asgi_route_of
from scopetel_instrumentation_asgi.uvicorn_hook import wrap_loaded
from scopetel_instrumentation_django.routes import route_of, user_of
from scopetel_instrumentation_wsgi import ScopetelWSGIMiddleware
from scopetel_instrumentation_wsgi.gunicorn_hook import should_wrap

import scopetel
from scopetel._events.scrubber import scrub_event
from scopetel._web import layers
from scopetel._web.body import CLOSED, COMPLETE, ContextAsyncIterator, ContextIterator
from scopetel._web.info import RequestInfo
from scopetel._web.request_data import sentry_request
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event

ENVIRON = {
    "REQUEST_METHOD": "POST",
    "SCRIPT_NAME": "/app",
    "PATH_INFO": "/items/7",
    "QUERY_STRING": "a=1&b=2",
    "SERVER_NAME": "internal",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "10.0.0.9",
    "wsgi.url_scheme": "https",
    "HTTP_HOST": "shop.example",
    "HTTP_COOKIE": "session=abc; theme=dark",
    "HTTP_AUTHORIZATION": "Bearer t",
    "HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1",
    "HTTP_USER_AGENT": "ua",
    "CONTENT_TYPE": "application/json",
}


def test_request_info_from_environ_and_asgi_scope_agree() -> None:
    info = RequestInfo.from_environ(ENVIRON)
    assert (info.method, info.url, info.query, info.protocol) == (
        "POST",
        "https://shop.example/app/items/7",
        "a=1&b=2",
        "1.1",
    )
    assert info.header("content-type") == "application/json"
    assert (info.peer, info.client_address) == ("10.0.0.9", "203.0.113.7")
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "https",
        "path": "/app/items/7",
        "query_string": b"a=1&b=2",
        "http_version": "1.1",
        "server": ("internal", 8000),
        "client": ("10.0.0.9", 5555),
        "headers": [(b"host", b"shop.example"), (b"x-forwarded-for", b"203.0.113.7, 10.0.0.1")],
    }
    from_scope = RequestInfo.from_asgi(scope)
    assert (from_scope.url, from_scope.query, from_scope.client_address) == (
        info.url,
        info.query,
        "203.0.113.7",
    )
    bare = RequestInfo.from_asgi({"type": "http", "server": ("h", 8080), "path": "/"})
    assert bare.url == "http://h:8080/"


def _sent_request(info: RequestInfo, pii: bool) -> dict[str, Any]:
    """The request data as it leaves the process: built, then scrubbed."""
    event = {"request": sentry_request(info, pii=pii, max_length=1024)}
    return dict(scrub_event(event, send_default_pii=pii)["request"])


def test_request_data_sends_addresses_only_with_pii_and_credentials_never() -> None:
    info = RequestInfo.from_environ(ENVIRON)
    assert _sent_request(info, pii=False) == {
        "url": "https://shop.example/app/items/7",
        "method": "POST",
        "query_string": "a=1&b=2",
        "env": {"SERVER_NAME": "internal", "SERVER_PORT": "8000"},
        "headers": {
            "Host": "shop.example",
            "User-Agent": "ua",
            "Content-Type": "application/json",
            "Authorization": "[Filtered]",
            "Cookie": "[Filtered]",
            "X-Forwarded-For": "[Filtered]",
        },
    }
    full = _sent_request(info, pii=True)
    assert full["cookies"] == {"session": "[Filtered]", "theme": "dark"}
    assert full["headers"]["Authorization"] == "[Filtered]"  # as sentry_sdk: a secret
    assert full["headers"]["X-Forwarded-For"] == "203.0.113.7, 10.0.0.1"
    # as sentry_sdk: a WSGI request's env holds the TCP peer (user.ip_address the client)
    assert full["env"] == {
        "SERVER_NAME": "internal",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "10.0.0.9",
    }
    without_query = RequestInfo.from_environ({k: v for k, v in ENVIRON.items() if "QUERY" not in k})
    assert sentry_request(without_query, pii=False, max_length=1024)["query_string"] is None
    empty_query = RequestInfo.from_environ({**ENVIRON, "QUERY_STRING": ""})
    assert sentry_request(empty_query, pii=False, max_length=1024)["query_string"] == ""
    long = sentry_request(
        RequestInfo.from_environ({**ENVIRON, "QUERY_STRING": "q" * 50}), pii=False, max_length=20
    )
    assert len(long["query_string"]) == 20


class _Match:
    def __init__(self, route: str) -> None:
        self.route = route


class _Request:
    def __init__(self, route: str | None, user: object = None) -> None:
        self.resolver_match = _Match(route) if route is not None else None
        self.user = user


def test_django_routes_name_transactions_like_their_patterns() -> None:
    assert route_of(_Request("items/<int:pk>/")) == "/items/<int:pk>/"
    assert route_of(_Request(r"^legacy/(?P<year>[0-9]{4})/(?P<slug>[a-z(]+)/$")) == (
        "/legacy/{year}/{slug}/"
    )
    assert route_of(_Request(r"^api/^v(\d)/$")) == r"/api/v(\d)/"
    assert route_of(_Request(None)) is None
    assert route_of(_Request("")) is None


def test_django_user_only_when_authenticated() -> None:
    class User:
        is_authenticated = True
        pk = 3
        email = "a@b.c"

        def get_username(self) -> str:
            return "ann"

    assert user_of(_Request(None, User())) == {"id": "3", "username": "ann", "email": "a@b.c"}
    anonymous = type("Anonymous", (), {"is_authenticated": False})()
    assert user_of(_Request(None, anonymous)) is None
    assert user_of(_Request(None)) is None


def test_context_iterator_runs_each_step_in_its_context_and_reports_how_it_ended() -> None:
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="server")
    outcomes: list[object] = []

    def body() -> Iterator[str]:
        yield marker.get()
        yield marker.get()

    token = marker.set("request")
    ctx = contextvars.copy_context()
    marker.reset(token)
    assert list(ContextIterator(body(), ctx, outcomes.append)) == ["request", "request"]
    cut = ContextIterator(body(), ctx, outcomes.append)
    next(cut)
    cut.close()
    cut.close()

    def failing() -> Iterator[str]:
        yield "x"
        raise ValueError("body failed")

    broken = ContextIterator(failing(), ctx, outcomes.append)
    with pytest.raises(ValueError):
        list(broken)
    assert outcomes[:2] == [COMPLETE, CLOSED] and isinstance(outcomes[2], ValueError)
    assert marker.get() == "server"


def test_context_async_iterator_awaits_each_step_in_its_context() -> None:
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("amarker", default="server")
    outcomes: list[object] = []

    async def body() -> Any:
        for _ in range(2):
            await asyncio.sleep(0)
            yield marker.get()

    async def main() -> list[str]:
        token = marker.set("request")
        ctx = contextvars.copy_context()
        marker.reset(token)
        seen = [item async for item in ContextAsyncIterator(body(), ctx, outcomes.append)]
        cut = ContextAsyncIterator(body(), ctx, outcomes.append)
        await cut.__anext__()
        await cut.aclose()
        return seen

    assert asyncio.run(main()) == ["request", "request"]
    assert outcomes == [COMPLETE, CLOSED]


def _streaming_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    scopetel.set_tag("req", environ["QUERY_STRING"])
    start_response("200 OK", [("Content-Type", "text/plain")])

    def body() -> Iterator[bytes]:
        for index in range(3):
            with scopetel.start_span(op="chunk", name=f"chunk {index}"):
                yield b"x"
        if environ["PATH_INFO"] == "/fail":
            raise RuntimeError("body failed")

    return body()


def _environ(path: str = "/", query: str = "") -> dict[str, Any]:
    return {**ENVIRON, "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query}


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as captured:
        yield captured


def test_wsgi_body_is_in_the_transaction_and_a_cut_body_is_cancelled(
    transport: CapturingTransport,
) -> None:
    app = ScopetelWSGIMiddleware(_streaming_app)
    assert b"".join(app(_environ(query="one"), lambda *a: None)) == b"xxx"
    cut = app(_environ(query="two"), lambda *a: None)
    next(iter(cut))
    cut.close()  # type: ignore[attr-defined]
    assert scopetel.get_current_span() is None
    assert scopetel.get_isolation_scope().data.tags == {}
    scopetel.flush()
    full, cancelled = transport.transactions()
    for transaction in (full, cancelled):
        assert_valid_event(transaction)
        root = transaction["contexts"]["trace"]["span_id"]
        assert {span["parent_span_id"] for span in transaction["spans"]} == {root}
    assert (full["tags"], full["contexts"]["trace"]["status"], len(full["spans"])) == (
        {"req": "one", "http.status_code": "200"},
        "ok",
        3,
    )
    assert (cancelled["tags"], cancelled["contexts"]["trace"]["status"]) == (
        {"req": "two", "http.status_code": "200"},
        "cancelled",
    )
    assert full["transaction"] == "GET /app/" and full["transaction_info"]["source"] == "url"


def test_wsgi_body_error_is_reported_once_with_the_request(transport: CapturingTransport) -> None:
    app = ScopetelWSGIMiddleware(_streaming_app)
    with pytest.raises(RuntimeError):
        list(app(_environ("/fail", "bad"), lambda *a: None))
    scopetel.flush()
    (event,) = transport.events()
    assert_valid_event(event)
    assert event["exception"]["values"][0]["mechanism"] == {"type": "wsgi", "handled": False}
    assert event["request"]["url"] == "https://shop.example/app/fail"
    assert event["tags"] == {"req": "bad"}
    (transaction,) = transport.transactions()
    assert transaction["contexts"]["trace"]["status"] == "internal_error"


def test_a_request_shows_its_own_breadcrumbs_not_the_servers(
    transport: CapturingTransport,
) -> None:
    """What the process recorded outside any request (a server's start-up lines) is
    not on a request's events, as with sentry_sdk's web integrations."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        scopetel.add_breadcrumb(message="in the request")
        scopetel.capture_message("request event")
        start_response("204 No Content", [])
        return iter([])

    scopetel.add_breadcrumb(message="Listening at: http://127.0.0.1:8000")
    try:
        list(ScopetelWSGIMiddleware(app)(_environ(), lambda *a: None))
        scopetel.flush()
    finally:
        scopetel.get_isolation_scope().clear_breadcrumbs()
    (event,) = transport.events()
    assert [crumb["message"] for crumb in event["breadcrumbs"]["values"]] == ["in the request"]


def test_wsgi_layer_moves_inside_contrib_and_adopts_its_server_span(
    transport: CapturingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    app = ScopetelWSGIMiddleware(ContribWSGI(_streaming_app))
    with caplog.at_level(logging.WARNING):
        body = app(_environ(query="adopted"), lambda *a: None)
        assert b"".join(body) == b"xxx"
        body.close()  # type: ignore[attr-defined]
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert_valid_event(transaction)
    trace = transaction["contexts"]["trace"]
    assert (trace["origin"], trace["op"], transaction["tags"]) == (
        "auto.otel.wsgi",
        "http.server",
        {"req": "adopted", "http.status_code": "200"},
    )
    assert trace["data"]["net.peer.ip"] == "[Filtered]"  # no client address without PII
    assert transaction["timestamp"] >= max(span["timestamp"] for span in transaction["spans"])
    assert not [r for r in caplog.records if "ended span" in r.getMessage()]


def test_wsgi_layers_do_not_stack(transport: CapturingTransport) -> None:
    app = ScopetelWSGIMiddleware(ScopetelWSGIMiddleware(_streaming_app))
    list(app(_environ(query="once"), lambda *a: None))
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert len(transaction["spans"]) == 3


def test_wsgi_file_wrapper_keeps_its_type_and_ends_the_request_on_close(
    transport: CapturingTransport,
) -> None:
    class FileWrapper:
        def __init__(self, data: bytes) -> None:
            self.data = data
            self.closed = False

        def __iter__(self) -> Iterator[bytes]:
            yield self.data

        def close(self) -> None:
            self.closed = True

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])
        return environ["wsgi.file_wrapper"](b"file")

    wrapped = ScopetelWSGIMiddleware(app)
    body = wrapped({**_environ(), "wsgi.file_wrapper": FileWrapper}, lambda *a: None)
    assert isinstance(body, FileWrapper)
    scopetel.flush()
    assert transport.transactions() == []
    body.close()
    assert body.closed
    scopetel.flush()
    assert len(transport.transactions()) == 1


async def _asgi_call(app: Any, path: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "scheme": "http",
        "headers": [(b"host", b"example")],
        "query_string": b"",
        "server": ("example", 80),
        "client": ("127.0.0.1", 1),
    }
    incoming = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def _asgi_streaming_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    scopetel.set_tag("path", scope["path"])
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for index in range(3):
        with scopetel.start_span(op="chunk", name=f"chunk {index}"):
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
        if scope["path"] == "/gone" and (await receive())["type"] == "http.disconnect":
            return
    await send({"type": "http.response.body", "body": b""})


@pytest.mark.parametrize("contrib", [False, True])
def test_asgi_stream_disconnect_and_adoption(transport: CapturingTransport, contrib: bool) -> None:
    inner: Any = ContribASGI(_asgi_streaming_app) if contrib else _asgi_streaming_app
    app = ScopetelASGIMiddleware(inner)
    disconnect = [{"type": "http.request", "body": b""}, {"type": "http.disconnect"}]
    asyncio.run(_asgi_call(app, "/full", []))
    asyncio.run(_asgi_call(app, "/gone", disconnect))
    scopetel.flush()
    by_path = {t["tags"]["path"]: t for t in transport.transactions()}
    assert by_path["/full"]["contexts"]["trace"]["status"] == "ok"
    assert by_path["/gone"]["contexts"]["trace"]["status"] == "cancelled"
    for transaction in by_path.values():
        assert_valid_event(transaction)
        origin = transaction["contexts"]["trace"]["origin"]
        assert origin == ("auto.otel.asgi" if contrib else "auto.http.asgi")
        root = transaction["contexts"]["trace"]["span_id"]
        chunks = [s for s in transaction["spans"] if s.get("op") == "chunk"]
        assert chunks and {s["parent_span_id"] for s in chunks} == {root}


def test_contrib_asgi_message_spans_are_not_recorded_for_sentry_alone(
    transport: CapturingTransport,
) -> None:
    """Sentry never shows contrib's ``http send`` spans: with no other reader of spans
    they start non-recording (their hooks see it); the transaction is whole."""
    recording: list[bool] = []

    def hook(span: Any, scope: Any, message: Any) -> None:
        recording.append(span.is_recording())

    app = ScopetelASGIMiddleware(ContribASGI(_asgi_streaming_app, client_response_hook=hook))
    asyncio.run(_asgi_call(app, "/full", []))
    scopetel.flush()
    assert recording == [False] * 5  # the response start, three chunks, the end
    (transaction,) = transport.transactions()
    assert transaction["contexts"]["trace"]["status"] == "ok"
    root = transaction["contexts"]["trace"]["span_id"]
    assert [s["description"] for s in transaction["spans"]] == [f"chunk {i}" for i in range(3)]
    assert {s["parent_span_id"] for s in transaction["spans"]} == {root}


def test_asgi_error_is_captured_and_re_raised(transport: CapturingTransport) -> None:
    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError):
        asyncio.run(_asgi_call(ScopetelASGIMiddleware(failing), "/x", []))
    scopetel.flush()
    (event,) = transport.events()
    assert event["exception"]["values"][0]["mechanism"]["type"] == "asgi"
    # as sentry_sdk: the event sees the failed request (status, 500), no query is null
    assert event["contexts"]["trace"]["status"] == "internal_error"
    assert event["contexts"]["trace"]["data"]["http.response.status_code"] == 500
    assert event["request"]["query_string"] is None
    (transaction,) = transport.transactions()
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert transaction["tags"] == {"asgi.type": "http", "http.status_code": "500"}


def test_asgi_route_of_starlette_scopes() -> None:
    route = type("Route", (), {"path": "/items/{id}"})()
    assert asgi_route_of({"route": route, "root_path": "/api"}) == "/items/{id}"
    mounted = {"route": route, "root_path": "/api/v2", "app_root_path": "/api"}
    assert asgi_route_of(mounted) == "/v2/items/{id}"
    assert asgi_route_of({}) is None


def test_server_hooks_wrap_only_what_no_framework_layer_serves() -> None:
    async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
        return None

    def wsgi_app(environ: Any, start_response: Any) -> list[bytes]:
        return []

    assert should_wrap(wsgi_app) and not should_wrap(asgi_app) and not should_wrap(None)
    assert not should_wrap(ScopetelWSGIMiddleware(wsgi_app))

    def claim(app: object) -> bool:
        return app is wsgi_app

    layers.claim(claim)
    try:
        assert not should_wrap(wsgi_app)
    finally:
        layers.release(claim)

    proxy = type("ProxyHeadersMiddleware", (), {"__module__": "uvicorn.middleware.proxy_headers"})
    outer = proxy()
    outer.app = asgi_app
    config = type("Config", (), {})()
    config.loaded_app = outer
    wrap_loaded(config)
    assert config.loaded_app is outer and isinstance(outer.app, ScopetelASGIMiddleware)
    wrap_loaded(config)
    assert outer.app.app is asgi_app


def test_instrumentors_patch_frameworks_and_put_them_back() -> None:
    import django.core.handlers.base as django_base
    import fastapi.applications as fastapi_apps
    import fastapi.routing as fastapi_routing
    import gunicorn.workers.base as gunicorn_base
    import starlette.applications as starlette_apps
    import starlette.endpoints as starlette_endpoints
    import starlette.routing as starlette_routing
    import uvicorn.config as uvicorn_config
    from scopetel_instrumentation_asgi import AsgiInstrumentor
    from scopetel_instrumentation_django import DjangoInstrumentor
    from scopetel_instrumentation_wsgi import WsgiInstrumentor

    def current() -> list[object]:
        return [
            starlette_apps.Starlette.__dict__["__call__"],
            fastapi_apps.FastAPI.__dict__["__call__"],
            uvicorn_config.Config.__dict__["load"],
            gunicorn_base.Worker.__dict__["load_wsgi"],
            django_base.BaseHandler.__dict__["load_middleware"],
            starlette_routing.run_in_threadpool,
            starlette_endpoints.run_in_threadpool,
            fastapi_routing.run_in_threadpool,
        ]

    instrumentors = [AsgiInstrumentor(), WsgiInstrumentor(), DjangoInstrumentor()]
    were_on = [each for each in instrumentors if each.is_instrumented_by_opentelemetry]
    for each in were_on:
        each.uninstrument()
    try:
        originals = current()
        for each in instrumentors:
            each.instrument()
        patched = current()
        assert all(new is not old for new, old in zip(patched, originals, strict=True))
        assert layers.claimed(starlette_apps.Starlette())
        for each in instrumentors:
            each.uninstrument()
        assert current() == originals
        assert not layers.claimed(starlette_apps.Starlette())
    finally:
        for each in were_on:
            each.instrument()
