"""``sentry_sdk.integrations.falcon``: Falcon requests as transactions."""

from scopetel.integrations._base import Integration, accept, require
from scopetel.integrations._instrumentors import instrument
from scopetel.integrations._web import transaction_style as check_style

require("falcon", "Falcon")

TRANSACTION_STYLE_VALUES = ("uri_template", "path")


class FalconIntegration(Integration):
    """Server spans for Falcon requests, through OpenTelemetry's Falcon instrumentation
    (``opentelemetry-instrumentation-falcon``).

    Accepted without effect: ``transaction_style`` (named by the URI template).
    """

    identifier = "falcon"

    def __init__(self, transaction_style: str = "uri_template") -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)

    def setup(self) -> None:
        instrument("falcon", when_imported="falcon")
        accept(self, {"transaction_style": "uri_template"})
