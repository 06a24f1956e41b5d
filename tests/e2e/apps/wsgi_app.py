"""A plain WSGI callable for ``opentelemetry-instrument gunicorn wsgi_app:application``.

WSGI servers have no auto-instrumentation entry point, so the contrib middleware wraps
it here. Each response tells which worker served it and the server span's ids; the
span also records the worker's pid (``app.pid``).
"""

import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from opentelemetry import trace
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    span = trace.get_current_span()
    span.set_attribute("app.pid", os.getpid())
    delay = float(parse_qs(environ.get("QUERY_STRING", "")).get("sleep", ["0"])[0])
    if delay:
        time.sleep(delay)
    context = span.get_span_context()
    body = json.dumps(
        {
            "pid": os.getpid(),
            "trace_id": f"{context.trace_id:032x}",
            "span_id": f"{context.span_id:016x}",
        }
    ).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


application = OpenTelemetryMiddleware(_app)
