"""scopetel instrumentor for ASGI servers: streamed bodies, per-request isolation, request data.

Under ``opentelemetry-instrument`` (or ``scopetel.init()``), Starlette and FastAPI
applications get scopetel's layer among their middleware, and uvicorn serves any other
ASGI application through it. With another server, wrap the application yourself::

    from scopetel_instrumentation_asgi import ScopetelASGIMiddleware

    application = ScopetelASGIMiddleware(application)
"""

from scopetel_instrumentation_asgi.instrumentor import AsgiInstrumentor
from scopetel_instrumentation_asgi.middleware import ScopetelASGIMiddleware

__all__ = ["AsgiInstrumentor", "ScopetelASGIMiddleware"]
