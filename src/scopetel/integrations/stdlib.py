"""``sentry_sdk.integrations.stdlib``: outgoing HTTP requests of the standard library."""

from scopetel.integrations._base import Integration
from scopetel.integrations._instrumentors import instrument


class StdlibIntegration(Integration):
    """Spans (and trace headers) for ``urllib.request`` and ``urllib3`` (so ``requests``)
    calls inside a transaction, through OpenTelemetry's ``urllib`` and ``urllib3``
    instrumentations when they are installed; ``subprocess`` breadcrumbs and spans
    through ``scopetel_subprocess``.

    Not covered yet: ``http.client`` used directly.
    """

    identifier = "stdlib"

    def setup(self) -> None:
        instrument("urllib", when_imported="urllib.request")
        instrument("urllib3", when_imported="urllib3")
        instrument("scopetel_subprocess")
