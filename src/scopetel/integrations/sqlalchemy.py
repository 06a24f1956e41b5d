"""``sentry_sdk.integrations.sqlalchemy``: SQL statements as spans."""

from scopetel.integrations._base import Integration, require
from scopetel.integrations._instrumentors import instrument

require("sqlalchemy", "SQLAlchemy")


class SqlalchemyIntegration(Integration):
    """A span per statement of every engine created after ``init()``, through
    OpenTelemetry's SQLAlchemy instrumentation (``opentelemetry-instrumentation-sqlalchemy``).
    """

    identifier = "sqlalchemy"

    def setup(self) -> None:
        instrument("sqlalchemy", when_imported="sqlalchemy")
