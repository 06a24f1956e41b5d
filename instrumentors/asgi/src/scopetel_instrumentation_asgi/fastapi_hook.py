"""FastAPI's own telemetry stays off where scopetel's layer serves the request.

FastAPI (0.16x and later) starts its own OpenTelemetry telemetry for every request once
a tracer, meter or logger provider is set, unless contrib's ``OpenTelemetryMiddleware``
is in its stack or the ASGI scope already has a ``"fastapi.telemetry"`` key (how a
mounted FastAPI application learns that an outer one handles the request): a second
SERVER span under scopetel's, ``fastapi.dependencies``/``endpoint``/``serialization``
spans, HTTP metrics and log records, all repeating what scopetel's layer records, for
about a fifth of the serving thread's time per request. scopetel sets the key (value
``None``: "handled, nothing to share") before ``FastAPI.__call__`` runs, as contrib's
middleware did by its presence. Also, FastAPI then leaves building its middleware stack
to Starlette's ``__call__``, where scopetel's layer joins it (FastAPI would otherwise
build it first when no lifespan event came before the first request).
"""

import functools
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any, Final

from scopetel.instrumentation import ImportHook

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


class FastApiHook:
    """Patches ``FastAPI.__call__`` once FastAPI is imported; ``disable`` restores it."""

    def __init__(self) -> None:
        self._patched: tuple[type, Any] | None = None  # (class, original __call__)
        self._hook = ImportHook(MODULE, self._apply)

    def _apply(self, module: ModuleType) -> None:
        fastapi = getattr(module, "FastAPI", None)
        original = getattr(fastapi, "__dict__", {}).get("__call__")
        if self._patched is None and fastapi is not None and original is not None:
            setattr(fastapi, "__call__", _patched_call(original))  # noqa: B010
            self._patched = (fastapi, original)

    def enable(self) -> None:
        self._hook.enable()

    def disable(self) -> None:
        self._hook.disable()
        if self._patched is not None:
            owner, original = self._patched
            setattr(owner, "__call__", original)  # noqa: B010
            self._patched = None
