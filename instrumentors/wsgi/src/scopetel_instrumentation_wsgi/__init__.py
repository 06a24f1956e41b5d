"""scopetel instrumentor for WSGI servers: streamed bodies, per-request isolation, request data.

Under ``opentelemetry-instrument`` (or ``scopetel.init()``), every WSGI application a
gunicorn worker loads is served through :class:`ScopetelWSGIMiddleware`; with another
server, wrap the application yourself::

    from scopetel_instrumentation_wsgi import ScopetelWSGIMiddleware

    application = ScopetelWSGIMiddleware(application)
"""

from scopetel_instrumentation_wsgi.instrumentor import WsgiInstrumentor
from scopetel_instrumentation_wsgi.middleware import ScopetelWSGIMiddleware

__all__ = ["ScopetelWSGIMiddleware", "WsgiInstrumentor"]
