"""FastAPI's own telemetry stays off where scopetel's layer serves the request.

FastAPI (0.16x and later) starts its own OpenTelemetry telemetry for every request once
a tracer, meter or logger provider is set, unless contrib's ``OpenTelemetryMiddleware``
is in its stack or the ASGI scope already has a ``"fastapi.telemetry"`` key (how a
mounted FastAPI application learns that an outer one handles the request): a second
SERVER span under scopetel's, ``fastapi.dependencies``/``endpoint``/``serialization``
spans, HTTP metrics and log records, all repeating what scopetel's layer records (on
the benchmark app, the serving thread's CPU per request with it on was 1.16x that with
contrib's middleware; with it off, ~0.9x). scopetel sets the key (value
``None``: "handled, nothing to share") before ``FastAPI.__call__`` runs, as contrib's
middleware did by its presence. Also, FastAPI then leaves building its middleware stack
to Starlette's ``__call__``, where scopetel's layer joins it (FastAPI would otherwise
build it first when no lifespan event came before the first request).
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Final

from scopetel_instrumentation_asgi.call_hook import CallHook

MODULE: Final = "fastapi.applications"
SCOPE_KEY: Final = "fastapi.telemetry"
_SERVED: Final = frozenset({"http", "websocket"})


def _patched_call(original: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    @functools.wraps(original)
    async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> None:
        try:
            if scope["type"] in _SERVED:
                scope.setdefault(SCOPE_KEY, None)
        except Exception:  # not an ASGI scope: FastAPI's own call will say so
            pass
        await original(self, scope, receive, send)

    return __call__


def fastapi_hook() -> CallHook:
    """Patches ``FastAPI.__call__`` once FastAPI is imported (a FastAPI that does not
    define one has no telemetry of its own)."""
    return CallHook(MODULE, "FastAPI", _patched_call, inherited=False)
