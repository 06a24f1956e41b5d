"""scopetel instrumentor for Flask: transactions named by url rule (or endpoint),
unhandled view errors reported through Flask's ``got_request_exception`` signal
(mechanism ``flask``), the Flask-Login user with ``send_default_pii``, and scopetel's
per-request layer (isolation, request data and bodies, streamed responses) under any
WSGI server.

Enabled by ``opentelemetry-instrument`` and ``scopetel.init()`` (entry point
``scopetel_flask``). Name transactions by endpoint instead::

    FlaskInstrumentor().instrument(transaction_style="endpoint")
    # or SCOPETEL_FLASK_TRANSACTION_STYLE=endpoint
"""

from scopetel_instrumentation_flask.instrumentor import FlaskInstrumentor

__all__ = ["FlaskInstrumentor"]
