"""``sentry_sdk.integrations.sqlalchemy``: SQL statements as spans."""

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration

require("sqlalchemy", "SQLAlchemy")


class SqlalchemyIntegration(InstrumentorIntegration):
    """A span per statement of every engine created after ``init()``, through
    OpenTelemetry's SQLAlchemy instrumentation (``opentelemetry-instrumentation-sqlalchemy``).
    """

    identifier = "sqlalchemy"
    library = "sqlalchemy"
    instrumentors = ("sqlalchemy",)
