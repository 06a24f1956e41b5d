"""``sentry_sdk.integrations.sqlalchemy``: SQL statements as spans."""

from scopetel.integrations._base import require
from scopetel.integrations._library import LibraryIntegration

require("sqlalchemy", "SQLAlchemy")


class SqlalchemyIntegration(LibraryIntegration):
    """A span per statement of every engine created after ``init()``, through
    OpenTelemetry's SQLAlchemy instrumentation (``opentelemetry-instrumentation-sqlalchemy``).
    """

    identifier = "sqlalchemy"
    library = "sqlalchemy"
    instrumentors = ("sqlalchemy",)
