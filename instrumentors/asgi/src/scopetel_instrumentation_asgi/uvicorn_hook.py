"""uvicorn: serve the application it loads through scopetel's ASGI layer.

uvicorn wraps the loaded application in middleware of its own (proxy headers, message
logging); scopetel's layer goes right around the application, inside those, so it
sees the client address the proxy headers give. Applications a framework layer serves
(Starlette, Django) are left alone, and so are WSGI applications.
"""

from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

from scopetel._internal_errors import report_internal_error
from scopetel._web.layers import claimed
from scopetel._web.patches import ImportHook, MethodPatch
from scopetel_instrumentation_asgi.middleware import ScopetelASGIMiddleware

MODULE: Final = "uvicorn.config"
_UVICORN_WRAPPERS: Final = frozenset(
    {
        "uvicorn.middleware.proxy_headers.ProxyHeadersMiddleware",
        "uvicorn.middleware.message_logger.MessageLoggerMiddleware",
    }
)
_NOT_ASGI3: Final = frozenset(
    {
        "uvicorn.middleware.wsgi.WSGIMiddleware",
        "uvicorn.middleware.asgi2.ASGI2Middleware",
    }
)


def _qualified(app: object) -> str:
    kind = type(app)
    return f"{kind.__module__}.{kind.__qualname__}"


def wrap_loaded(config: Any) -> None:
    """Put scopetel's layer around the application inside uvicorn's own middleware."""
    holder: Any = config
    attribute = "loaded_app"
    app = config.loaded_app
    while _qualified(app) in _UVICORN_WRAPPERS and hasattr(app, "app"):
        holder, attribute, app = app, "app", app.app
    if _qualified(app) in _NOT_ASGI3 or isinstance(app, ScopetelASGIMiddleware) or claimed(app):
        return
    setattr(holder, attribute, ScopetelASGIMiddleware(app))


def _load(original: Callable[..., Any], config: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
    already = getattr(config, "loaded", False)
    result = original(*args, **kwargs)
    if not already:
        try:
            wrap_loaded(config)
        except Exception:
            report_internal_error("uvicorn wrap_loaded")
    return result


class UvicornHook:
    """Patches ``uvicorn.config.Config.load`` once uvicorn is imported."""

    def __init__(self) -> None:
        self._patch: MethodPatch | None = None
        self._hook = ImportHook(MODULE, self._apply)

    def _apply(self, module: ModuleType) -> None:
        if self._patch is None:
            self._patch = MethodPatch(module.Config, "load", _load)

    def enable(self) -> None:
        self._hook.enable()

    def disable(self) -> None:
        self._hook.disable()
        if self._patch is not None:
            self._patch.undo()
            self._patch = None
