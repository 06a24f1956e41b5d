"""scopetel instrumentor for Celery: one isolation scope and transaction per task run,
the trace carried from producer to worker, unhandled task errors reported.

Enabled by ``opentelemetry-instrument`` and ``scopetel.init()`` (entry point
``scopetel_celery``) in every process that imports Celery: workers on any pool (prefork,
solo, threads, gevent, eventlet) and the processes that send tasks. Nothing to wrap by
hand; OpenTelemetry's contrib Celery instrumentation is turned off while it is on.
"""

from scopetel_instrumentation_celery.instrumentor import CeleryInstrumentor

__all__ = ["CeleryInstrumentor"]
