"""``sentry_sdk.integrations.asgi``: ``SentryAsgiMiddleware`` for any ASGI 3 application."""

import importlib
from collections.abc import Awaitable, Callable
from typing import Any

from scopetel.integrations._base import LOGGER, require
from scopetel.integrations._web import DEFAULT_HTTP_METHODS_TO_CAPTURE
from scopetel.integrations._web import transaction_style as check_style

require("scopetel_instrumentation_asgi", "scopetel-instrumentation-asgi")

TRANSACTION_STYLE_VALUES = ("endpoint", "url")
ASGIApplication = Callable[[Any, Any, Any], Awaitable[None]]


class SentryAsgiMiddleware:
    """``app = SentryAsgiMiddleware(app)``: scopetel's ASGI layer (``ScopetelASGIMiddleware``
    of ``scopetel-instrumentation-asgi``): per-request scopes, a server span continuing
    the incoming trace, request data, unhandled errors.

    Honoured: ``mechanism_type``, ``span_origin``. Accepted without effect:
    ``unsafe_context_data``, ``transaction_style`` (named by the path),
    ``http_methods_to_capture``, ``asgi_version`` (ASGI 3 only), ``root_path_in_path``.
    """

    __slots__ = (
        "_layer",
        "app",
        "http_methods_to_capture",
        "mechanism_type",
        "span_origin",
        "transaction_style",
    )

    def __init__(
        self,
        app: ASGIApplication,
        unsafe_context_data: bool = False,
        transaction_style: str = "endpoint",
        mechanism_type: str = "asgi",
        span_origin: str = "manual",
        http_methods_to_capture: tuple[str, ...] = DEFAULT_HTTP_METHODS_TO_CAPTURE,
        asgi_version: int | None = None,
        root_path_in_path: Any = None,
    ) -> None:
        self.app = app
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        self.mechanism_type = mechanism_type
        self.span_origin = span_origin
        self.http_methods_to_capture = http_methods_to_capture
        middleware = importlib.import_module("scopetel_instrumentation_asgi").ScopetelASGIMiddleware
        self._layer: ASGIApplication = middleware(app, origin=span_origin, mechanism=mechanism_type)
        if transaction_style != "endpoint" or asgi_version is not None or unsafe_context_data:
            LOGGER.debug("scopetel: SentryAsgiMiddleware: options accepted without effect")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._layer(scope, receive, send)
