"""``sentry_sdk.integrations.pyramid``: Pyramid requests as transactions."""

from scopetel.integrations._base import Integration, accept, require
from scopetel.integrations._instrumentors import instrument
from scopetel.integrations._web import transaction_style as check_style

require("pyramid", "Pyramid")

TRANSACTION_STYLE_VALUES = ("route_name", "route_pattern")


class PyramidIntegration(Integration):
    """Server spans for Pyramid requests, through OpenTelemetry's Pyramid instrumentation
    (``opentelemetry-instrumentation-pyramid``).

    Accepted without effect: ``transaction_style`` (named by the route pattern).
    """

    identifier = "pyramid"

    def __init__(self, transaction_style: str = "route_name") -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)

    def setup(self) -> None:
        instrument("pyramid", when_imported="pyramid")
        accept(self, {"transaction_style": "route_name"})
