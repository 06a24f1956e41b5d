"""``sentry_sdk.integrations.pyramid``: Pyramid requests as transactions."""

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._web import transaction_style as check_style

require("pyramid", "Pyramid")

TRANSACTION_STYLE_VALUES = ("route_name", "route_pattern")


class PyramidIntegration(InstrumentorIntegration):
    """Server spans for Pyramid requests, through OpenTelemetry's Pyramid instrumentation
    (``opentelemetry-instrumentation-pyramid``).

    Accepted without effect: ``transaction_style``.
    """

    identifier = "pyramid"
    library = "pyramid"
    instrumentors = ("pyramid",)
    without_effect = {"transaction_style": "route_name"}

    def __init__(self, transaction_style: str = "route_name") -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
