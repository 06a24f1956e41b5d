"""``sentry_sdk.integrations.httpx``: outgoing httpx requests."""

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration

require("httpx", "httpx")


class HttpxIntegration(InstrumentorIntegration):
    """Spans and trace headers for ``httpx.Client`` and ``httpx.AsyncClient`` requests
    inside a transaction, through OpenTelemetry's httpx instrumentation
    (``opentelemetry-instrumentation-httpx``)."""

    identifier = "httpx"
    library = "httpx"
    instrumentors = ("httpx",)
