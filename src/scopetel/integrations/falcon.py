"""``sentry_sdk.integrations.falcon``: Falcon requests as transactions."""

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._web import transaction_style as check_style

require("falcon", "Falcon")

TRANSACTION_STYLE_VALUES = ("uri_template", "path")


class FalconIntegration(InstrumentorIntegration):
    """Server spans for Falcon requests, through OpenTelemetry's Falcon instrumentation
    (``opentelemetry-instrumentation-falcon``).

    Accepted without effect: ``transaction_style``.
    """

    identifier = "falcon"
    library = "falcon"
    instrumentors = ("falcon",)
    without_effect = {"transaction_style": "uri_template"}

    def __init__(self, transaction_style: str = "uri_template") -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
