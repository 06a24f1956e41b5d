"""A WSGI application without a framework (routes are plain paths), see ``appkit``.

``APP_CONTRIB_MIDDLEWARE=1`` wraps it in contrib's ``OpenTelemetryMiddleware``.
"""

import os
from collections.abc import Callable, Iterable
from typing import Any

import appkit


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    parts = environ["PATH_INFO"].strip("/").split("/")
    query = environ.get("QUERY_STRING", "")
    if parts[0] == "tagged":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [appkit.tagged(parts[1])]
    if parts[0] == "stream":
        appkit.mark(parts[1])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return appkit.chunks(parts[1], int(parts[2]), appkit.delay_of(query))
    if parts[0] == "error":
        appkit.mark(parts[1])
        raise RuntimeError(f"boom {parts[1]}")
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


if os.environ.get("APP_CONTRIB_MIDDLEWARE") == "1":
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    application = OpenTelemetryMiddleware(application)
