"""``sentry_sdk.integrations.sqlalchemy``: SQL statements as spans."""

from typing import Any

from scopetel._setup.integrations import replacement
from scopetel._setup.launcher import loaded_by_opentelemetry_instrument
from scopetel.integrations._base import require
from scopetel.integrations._entry_spans import ENTRY_SPAN_PROVIDER
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._instrumentors import instrument

require("sqlalchemy", "SQLAlchemy")


class SqlalchemyIntegration(InstrumentorIntegration):
    """A span per statement of every engine, through scopetel's SQLAlchemy instrumentor
    (``scopetel-instrumentation-sqlalchemy``, ``scopetel_sqlalchemy``) when installed
    and not disabled, else OpenTelemetry's (``opentelemetry-instrumentation-sqlalchemy``).
    As in sentry_sdk, statements are recorded only inside a span (a transaction).
    """

    identifier = "sqlalchemy"
    library = "sqlalchemy"
    instrumentors = ("sqlalchemy",)

    def setup(self) -> None:
        ours = replacement("sqlalchemy", ())
        if ours is not None:
            # under opentelemetry-instrument it was loaded as OpenTelemetry loads it
            options: dict[str, Any] = (
                {}
                if loaded_by_opentelemetry_instrument()
                else {"tracer_provider": ENTRY_SPAN_PROVIDER}
            )
            if instrument(ours, when_imported=self.library, **options):
                return
        instrument("sqlalchemy", when_imported=self.library)
