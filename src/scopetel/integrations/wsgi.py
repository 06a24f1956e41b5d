"""``sentry_sdk.integrations.wsgi``: ``SentryWsgiMiddleware`` for any WSGI application."""

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from scopetel.integrations._base import LOGGER, require
from scopetel.integrations._web import DEFAULT_HTTP_METHODS_TO_CAPTURE

require("scopetel_instrumentation_wsgi", "scopetel-instrumentation-wsgi")

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SentryWsgiMiddleware:
    """``app = SentryWsgiMiddleware(app)``: scopetel's WSGI layer (``ScopetelWSGIMiddleware``
    of ``scopetel-instrumentation-wsgi``): per-request scopes, a server span continuing
    the incoming trace, request data, unhandled errors (mechanism ``wsgi``), streamed
    bodies covered.

    Honoured: ``span_origin``. Accepted without effect: ``use_x_forwarded_for`` (the
    client address is read from ``X-Forwarded-For`` when present),
    ``http_methods_to_capture``.
    """

    __slots__ = ("_layer", "app", "http_methods_to_capture", "span_origin", "use_x_forwarded_for")

    def __init__(
        self,
        app: WSGIApplication,
        use_x_forwarded_for: bool = False,
        span_origin: str = "manual",
        http_methods_to_capture: tuple[str, ...] = DEFAULT_HTTP_METHODS_TO_CAPTURE,
    ) -> None:
        self.app = app
        self.use_x_forwarded_for = use_x_forwarded_for
        self.span_origin = span_origin
        self.http_methods_to_capture = http_methods_to_capture
        middleware = importlib.import_module("scopetel_instrumentation_wsgi").ScopetelWSGIMiddleware
        self._layer: WSGIApplication = middleware(app, origin=span_origin)
        if use_x_forwarded_for or http_methods_to_capture != DEFAULT_HTTP_METHODS_TO_CAPTURE:
            LOGGER.debug("scopetel: SentryWsgiMiddleware: options accepted without effect")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self._layer(environ, start_response)
