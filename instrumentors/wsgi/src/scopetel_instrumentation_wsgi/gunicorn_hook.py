"""gunicorn: wrap the WSGI application each worker loads in scopetel's WSGI layer.

Applies to gunicorn's WSGI workers (sync, gthread, gevent, eventlet …); an ASGI
application loaded by an ASGI worker class is left to the ASGI instrumentor, an aiohttp
application (``aiohttp.GunicornWebWorker``) to the aiohttp one, and an application a
framework instrumentor serves (Django) is left to it.
"""

import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

from scopetel.instrumentation import (
    ImportHook,
    MethodPatch,
    app_claimed,
    report_internal_error,
    serving_requests,
)
from scopetel_instrumentation_wsgi.middleware import ScopetelWSGIMiddleware

MODULE = "gunicorn.workers.base"


def should_wrap(app: object) -> bool:
    """A WSGI application nothing else of scopetel serves."""
    if app is None or isinstance(app, ScopetelWSGIMiddleware) or app_claimed(app):
        return False
    if type(app).__module__.partition(".")[0] == "aiohttp":
        return False  # an aiohttp Application is callable (gunicorn's convention), not WSGI
    call = getattr(app, "__call__", None)  # noqa: B004 - the class's __call__, not callable()
    return not (inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call))


def _load_wsgi(original: Callable[[], Any], worker: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
    result = original(*args, **kwargs)
    try:
        app = getattr(worker, "wsgi", None)
        if should_wrap(app):
            worker.wsgi = ScopetelWSGIMiddleware(app)  # type: ignore[arg-type]
    except Exception:
        report_internal_error("gunicorn load_wsgi")
    return result


class GunicornHook:
    """Patches ``Worker.load_wsgi`` once gunicorn's workers module is imported."""

    def __init__(self) -> None:
        self._patch: MethodPatch | None = None
        self._hook = ImportHook(MODULE, self._apply)

    def _apply(self, module: ModuleType) -> None:
        serving_requests()  # release health: the master and its workers are a server
        if self._patch is None:
            self._patch = MethodPatch(module.Worker, "load_wsgi", _load_wsgi)

    def enable(self) -> None:
        self._hook.enable()

    def disable(self) -> None:
        self._hook.disable()
        if self._patch is not None:
            self._patch.undo()
            self._patch = None
