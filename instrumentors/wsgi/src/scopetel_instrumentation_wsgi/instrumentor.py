"""The ``scopetel_wsgi`` instrumentor: scopetel's WSGI layer around gunicorn's applications."""

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from scopetel_instrumentation_wsgi.gunicorn_hook import GunicornHook


class WsgiInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Wraps every WSGI application a gunicorn worker loads (unless Django's instrumentor
    serves it). Other WSGI servers: wrap the application in ``ScopetelWSGIMiddleware``."""

    _hook = GunicornHook()

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        self._hook.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        self._hook.disable()
