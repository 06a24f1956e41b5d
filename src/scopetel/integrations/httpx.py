"""``sentry_sdk.integrations.httpx``: outgoing httpx requests."""

from scopetel.integrations._base import Integration, require
from scopetel.integrations._instrumentors import instrument

require("httpx", "httpx")


class HttpxIntegration(Integration):
    """Spans and trace headers for ``httpx.Client`` and ``httpx.AsyncClient`` requests
    inside a transaction, through OpenTelemetry's httpx instrumentation
    (``opentelemetry-instrumentation-httpx``)."""

    identifier = "httpx"

    def setup(self) -> None:
        instrument("httpx", when_imported="httpx")
