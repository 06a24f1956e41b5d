"""scopetel instrumentor for aiohttp servers: one isolation scope, transaction and
Context per request, transactions named by route, unhandled handler errors reported
(mechanism ``aiohttp``), bodies written after the handler inside the request.

Enabled by ``opentelemetry-instrument`` and ``scopetel.init()`` (entry point
``scopetel_aiohttp``) whenever ``aiohttp.web`` is imported, whatever runs the
application (``web.run_app``, ``python -m aiohttp.web``, gunicorn's
``aiohttp.GunicornWebWorker``, an ``AppRunner``). With OpenTelemetry's
``aiohttp-server`` instrumentation its server span is the request's transaction;
without it, scopetel starts one. Outgoing ``ClientSession`` requests are traced (and
carry the trace) by OpenTelemetry's ``aiohttp-client`` instrumentation.
"""

from scopetel_instrumentation_aiohttp.instrumentor import AioHttpInstrumentor

__all__ = ["AioHttpInstrumentor"]
