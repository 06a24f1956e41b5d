"""``sentry_sdk.integrations.flask``: Flask requests as transactions."""

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._web import DEFAULT_HTTP_METHODS_TO_CAPTURE
from scopetel.integrations._web import transaction_style as check_style

require("flask", "Flask")

TRANSACTION_STYLE_VALUES = ("endpoint", "url")


class FlaskIntegration(InstrumentorIntegration):
    """Server spans for Flask requests, through OpenTelemetry's Flask instrumentation
    (``opentelemetry-instrumentation-flask``), and scopetel's ``scopetel_flask`` when it
    is installed.

    Accepted without effect: ``transaction_style`` (transactions are named by the
    URL rule), ``http_methods_to_capture``.
    """

    identifier = "flask"
    library = "flask"
    instrumentors = ("scopetel_flask", "flask")
    without_effect = {
        "transaction_style": "endpoint",
        "http_methods_to_capture": DEFAULT_HTTP_METHODS_TO_CAPTURE,
    }

    def __init__(
        self,
        transaction_style: str = "endpoint",
        http_methods_to_capture: tuple[str, ...] = DEFAULT_HTTP_METHODS_TO_CAPTURE,
    ) -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        self.http_methods_to_capture = tuple(map(str.upper, http_methods_to_capture))
