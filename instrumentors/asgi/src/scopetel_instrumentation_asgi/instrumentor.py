"""The ``scopetel_asgi`` instrumentor: scopetel's ASGI layer in Starlette and uvicorn."""

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel.instrumentation import claim_app, release_app, transaction_style
from scopetel_instrumentation_asgi.fastapi_hook import fastapi_hook
from scopetel_instrumentation_asgi.http_errors import HttpErrorsHook, failed_codes
from scopetel_instrumentation_asgi.middleware import set_transaction_style
from scopetel_instrumentation_asgi.starlette_hook import is_starlette_app, starlette_hook
from scopetel_instrumentation_asgi.threadpool_hook import ThreadpoolHook
from scopetel_instrumentation_asgi.uvicorn_hook import UvicornHook


class AsgiInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Adds the layer to every Starlette/FastAPI application, and around any other ASGI
    application uvicorn loads. Other servers: wrap it in ``ScopetelASGIMiddleware``.

    ``instrument(transaction_style="endpoint")`` names transactions after the endpoint
    Starlette routed to (``module.qualname``, source ``component``), not the route.
    ``instrument(failed_request_status_codes={...})`` (or
    ``SCOPETEL_FAILED_REQUEST_STATUS_CODES``): the ``HTTPException`` status codes
    reported as errors (default 500-599). FastAPI's own telemetry stays off for the
    requests the layer serves (``fastapi_hook``). While profiling, a sync endpoint's
    worker thread becomes its root span's thread (``threadpool_hook``)."""

    _starlette = starlette_hook()
    _fastapi = fastapi_hook()
    _uvicorn = UvicornHook()
    _http_errors = HttpErrorsHook()
    _threadpool = ThreadpoolHook()

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        style = kwargs.get("transaction_style", "url")
        set_transaction_style(transaction_style(style, ("url", "endpoint")))
        codes = failed_codes(kwargs.get("failed_request_status_codes"))
        claim_app(is_starlette_app)
        self._fastapi.enable()
        self._starlette.enable()
        self._uvicorn.enable()
        self._http_errors.enable(codes)
        self._threadpool.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        set_transaction_style("url")
        release_app(is_starlette_app)
        self._starlette.disable()
        self._fastapi.disable()
        self._uvicorn.disable()
        self._http_errors.disable()
        self._threadpool.disable()
