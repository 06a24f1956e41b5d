"""scopetel instrumentor for Django: streaming responses, route names, request data.

Enabled by ``scopetel.init()`` and by ``opentelemetry-instrument`` (entry point
``scopetel_django``). It adds ``ScopetelMiddleware`` to the middleware chain when Django
loads it; you may also list ``"scopetel_instrumentation_django.middleware.ScopetelMiddleware"``
in ``MIDDLEWARE`` yourself to choose its place (keep it after contrib's middleware).
"""

from scopetel_instrumentation_django.instrumentor import DjangoInstrumentor
from scopetel_instrumentation_django.middleware import ScopetelMiddleware

__all__ = ["DjangoInstrumentor", "ScopetelMiddleware"]
