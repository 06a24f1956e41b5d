"""The asyncio task snapshot over HTTP, as JSON: routes to mount, and a loopback listener.

Routes (each answers ``GET`` with ``snapshot().to_dict()`` as ``application/json``)::

    # Starlette / FastAPI
    from scopetel_instrumentation_stdlib.asyncio_snapshot_http import starlette_snapshot
    app.add_route("/_debug/asyncio", starlette_snapshot)

    # aiohttp
    from scopetel_instrumentation_stdlib.asyncio_snapshot_http import aiohttp_snapshot
    app.router.add_get("/_debug/asyncio", aiohttp_snapshot)

    # Django (an async view: under ASGI it runs on the server's loop)
    from scopetel_instrumentation_stdlib.asyncio_snapshot_http import django_snapshot
    urlpatterns += [path("_debug/asyncio", django_snapshot)]

A snapshot shows code locations and task names: mount it behind the application's own
authentication (a staff-only dependency or decorator), or not at all in production.

For applications that mount nothing, ``SCOPETEL_ASYNCIO_SNAPSHOT_PORT=PORT`` (or
``snapshot_port=`` to the asyncio instrumentor, or :func:`start_snapshot_listener`)
starts a small HTTP listener in a daemon thread, bound to 127.0.0.1 only, answering
``GET /`` with the snapshot of the loops the asyncio instrumentation saw running.
Everything else is a 404; it never reads a request body.
"""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from scopetel.instrumentation import report_internal_error
from scopetel_instrumentation_stdlib.asyncio_snapshot import snapshot

__all__ = [
    "SnapshotListener",
    "aiohttp_snapshot",
    "django_snapshot",
    "snapshot_json",
    "starlette_snapshot",
    "start_snapshot_listener",
]

CONTENT_TYPE: Final = "application/json"


def snapshot_json() -> bytes:
    """The snapshot of the running loop (and the loops seen in other threads) as JSON."""
    try:
        data: dict[str, Any] = snapshot().to_dict()
    except Exception:
        report_internal_error("asyncio snapshot over HTTP")
        data = {"error": "snapshot failed"}
    return json.dumps(data).encode()


async def starlette_snapshot(request: Any) -> Any:
    """A Starlette/FastAPI endpoint (``app.add_route(path, starlette_snapshot)``)."""
    from starlette.responses import Response

    return Response(snapshot_json(), media_type=CONTENT_TYPE)


async def aiohttp_snapshot(request: Any) -> Any:
    """An aiohttp handler (``app.router.add_get(path, aiohttp_snapshot)``)."""
    from aiohttp import web

    return web.Response(body=snapshot_json(), content_type=CONTENT_TYPE)


async def django_snapshot(request: Any) -> Any:
    """A Django async view (``path("...", django_snapshot)``)."""
    from django.http import HttpResponse  # type: ignore[import-untyped]

    return HttpResponse(snapshot_json(), content_type=CONTENT_TYPE)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] not in ("/", "/asyncio"):
            self.send_error(404)
            return
        body = snapshot_json()
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SnapshotListener:
    """The loopback listener; :meth:`close` stops it."""

    def __init__(self, port: int) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.5},
            name="scopetel-asyncio-snapshot",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start_snapshot_listener(port: int = 0) -> SnapshotListener | None:
    """Listen on 127.0.0.1:``port`` (0: a free port); None, with a warning, when it cannot."""
    try:
        return SnapshotListener(port)
    except OSError as error:
        logging.getLogger("scopetel").warning(
            "scopetel: asyncio snapshot listener not started on 127.0.0.1:%s: %s", port, error
        )
        return None
