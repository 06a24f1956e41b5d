"""scopetel instrumentor for SQLAlchemy: one CLIENT span per statement, named and
described as OpenTelemetry's contrib SQLAlchemy instrumentation does it (same span
names and attributes, in the semantic-convention mode ``OTEL_SEMCONV_STABILITY_OPT_IN``
chooses), for a fraction of its cost on the application's thread, and the driver's
duplicate span of the statement (contrib's sqlite3, psycopg … instrumentations) not
started at all.

Enabled by ``opentelemetry-instrument`` and ``scopetel.init()`` (entry point
``scopetel_sqlalchemy``); where it is enabled, contrib's ``sqlalchemy`` instrumentor is
not. Not done here (use contrib's, by disabling this one): the ``connect`` span of
``Engine.connect()``, the ``db.client.connections.usage`` metric, sqlcommenter.
"""

from scopetel_instrumentation_sqlalchemy.instrumentor import SCOPE, SQLAlchemyInstrumentor

__all__ = ["SCOPE", "SQLAlchemyInstrumentor"]
