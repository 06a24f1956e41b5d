"""ASGI: websocket connections get their own isolation scope; mounted routes are named once."""

import asyncio
import contextvars
from typing import Any

from scopetel_instrumentation_asgi import ScopetelASGIMiddleware

import scopetel
from scopetel.testing import capture_envelopes

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
