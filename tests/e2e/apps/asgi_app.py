"""A plain ASGI callable for ``opentelemetry-instrument uvicorn asgi_app:application``,
wrapped in the contrib ASGI middleware (ASGI has no auto-instrumentation entry point).
Each response carries the server span's ids and the worker's pid."""

import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def _app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    span = trace.get_current_span()
    span.set_attribute("app.pid", os.getpid())
    context = span.get_span_context()
    body = json.dumps(
        {
            "pid": os.getpid(),
            "trace_id": f"{context.trace_id:032x}",
            "span_id": f"{context.span_id:016x}",
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


application = OpenTelemetryMiddleware(_app)
