"""Starlette (and FastAPI): scopetel's ASGI layer among the application's middleware.

Before an application builds its middleware stack (on its first request), scopetel's
layer is added to ``user_middleware``: right after contrib's ``OpenTelemetryMiddleware``
when the contrib Starlette instrumentor added it (so contrib's server span is adopted),
else first. Exceptions then pass through the layer before Starlette's
``ServerErrorMiddleware`` turns them into 500 responses.
"""

import functools
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Final

from scopetel.instrumentation import report_internal_error
from scopetel_instrumentation_asgi.call_hook import CallHook
from scopetel_instrumentation_asgi.middleware import ScopetelASGIMiddleware

MODULE: Final = "starlette.applications"
ORIGIN: Final = "auto.http.starlette"
_CONTRIB_MODULE: Final = "opentelemetry.instrumentation.asgi"


def add_layer(app: Any) -> None:
    """Insert scopetel's layer into ``app.user_middleware`` (once)."""
    from starlette.middleware import Middleware

    middleware = list(app.user_middleware)
    if any(entry.cls is ScopetelASGIMiddleware for entry in middleware):
        return
    index = 0
    for position, entry in enumerate(middleware):
        if getattr(entry.cls, "__module__", None) == _CONTRIB_MODULE:
            index = position + 1
    layer = Middleware(ScopetelASGIMiddleware, origin=ORIGIN, mechanism="starlette")
    middleware.insert(index, layer)
    app.user_middleware = middleware


def _patched_call(original: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """``Starlette.__call__`` adding the layer first; same parameters (uvicorn probes them)."""

    @functools.wraps(original)
    async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if getattr(self, "middleware_stack", None) is None:
            try:
                add_layer(self)
            except Exception:
                report_internal_error("starlette add_layer")
        await original(self, scope, receive, send)

    return __call__


def is_starlette_app(app: object) -> bool:
    module = sys.modules.get(MODULE)
    return module is not None and isinstance(app, module.Starlette)


def starlette_hook() -> CallHook:
    """Patches ``Starlette.__call__`` once Starlette is imported (FastAPI's calls it too)."""
    return CallHook(MODULE, "Starlette", _patched_call, inherited=True)
