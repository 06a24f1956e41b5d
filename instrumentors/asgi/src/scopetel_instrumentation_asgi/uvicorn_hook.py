"""uvicorn: serve the application it loads through scopetel's ASGI layer.

uvicorn wraps the loaded application in middleware of its own (proxy headers, message
logging); scopetel's layer goes right around the application, inside those, so it
sees the client address the proxy headers give. Applications a framework layer serves
(Starlette, Django) are left alone, and so are WSGI applications.

uvicorn ends a graceful shutdown on SIGTERM/SIGINT by raising the signal again with
the default handler, which kills the process without running ``atexit``: scopetel
flushes (within ``shutdown_timeout``) when the server is done, before that happens.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Final

from scopetel.instrumentation import (
    ImportHook,
    MethodPatch,
    app_claimed,
    flush,
    get_client,
    report_internal_error,
    serving_requests,
)
from scopetel_instrumentation_asgi.middleware import ScopetelASGIMiddleware

MODULE: Final = "uvicorn.config"
SERVER_MODULE: Final = "uvicorn.server"
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
    if _qualified(app) in _NOT_ASGI3 or isinstance(app, ScopetelASGIMiddleware) or app_claimed(app):
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


def _capture_signals(
    original: Callable[..., Any], server: Any, args: tuple[Any, ...], kwargs: Any
) -> Any:
    return _flushing_after(original(*args, **kwargs))


@contextmanager
def _flushing_after(signals: Any) -> Iterator[None]:
    """uvicorn's signal block, with scopetel flushed before a captured signal is re-raised."""
    with signals:
        try:
            yield
        finally:
            _flush()


def _flush() -> None:
    try:
        client = get_client()
        if client is not None:
            flush(timeout=client.options.shutdown_timeout)
    except Exception:
        report_internal_error("uvicorn shutdown flush")


class UvicornHook:
    """Patches ``Config.load`` and ``Server.capture_signals`` once uvicorn is imported."""

    def __init__(self) -> None:
        self._patches: dict[str, MethodPatch] = {}
        self._hooks = (
            ImportHook(MODULE, self._apply_config),
            ImportHook(SERVER_MODULE, self._apply_server),
        )

    def _apply_config(self, module: ModuleType) -> None:
        serving_requests()  # release health: a server sends request sessions only
        if "load" not in self._patches:
            self._patches["load"] = MethodPatch(module.Config, "load", _load)

    def _apply_server(self, module: ModuleType) -> None:
        if "signals" not in self._patches:
            self._patches["signals"] = MethodPatch(
                module.Server, "capture_signals", _capture_signals
            )

    def enable(self) -> None:
        for hook in self._hooks:
            hook.enable()

    def disable(self) -> None:
        for hook in self._hooks:
            hook.disable()
        for patch in self._patches.values():
            patch.undo()
        self._patches.clear()
