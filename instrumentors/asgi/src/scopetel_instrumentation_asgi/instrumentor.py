"""The ``scopetel_asgi`` instrumentor: scopetel's ASGI layer in Starlette and uvicorn."""

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel.instrumentation import claim_app, release_app
from scopetel_instrumentation_asgi.starlette_hook import StarletteHook, is_starlette_app
from scopetel_instrumentation_asgi.uvicorn_hook import UvicornHook


class AsgiInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Adds the layer to every Starlette/FastAPI application, and around any other ASGI
    application uvicorn loads. Other servers: wrap it in ``ScopetelASGIMiddleware``."""

    _starlette = StarletteHook()
    _uvicorn = UvicornHook()

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        claim_app(is_starlette_app)
        self._starlette.enable()
        self._uvicorn.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        release_app(is_starlette_app)
        self._starlette.disable()
        self._uvicorn.disable()
