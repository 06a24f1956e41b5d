"""``sentry_sdk.integrations.flask``: Flask requests as transactions."""

from typing import Any

from scopetel.integrations._base import Integration, accept, require
from scopetel.integrations._instrumentors import instrument
from scopetel.integrations._web import DEFAULT_HTTP_METHODS_TO_CAPTURE
from scopetel.integrations._web import transaction_style as check_style

require("flask", "Flask")

TRANSACTION_STYLE_VALUES = ("endpoint", "url")
_DEFAULTS: dict[str, Any] = {
    "transaction_style": "endpoint",
    "http_methods_to_capture": DEFAULT_HTTP_METHODS_TO_CAPTURE,
}


class FlaskIntegration(Integration):
    """Server spans for Flask requests, through OpenTelemetry's Flask instrumentation
    (``opentelemetry-instrumentation-flask``), and scopetel's ``scopetel_flask`` when it
    is installed.

    Accepted without effect: ``transaction_style`` (transactions are named by the
    URL rule), ``http_methods_to_capture``.
    """

    identifier = "flask"

    def __init__(
        self,
        transaction_style: str = "endpoint",
        http_methods_to_capture: tuple[str, ...] = DEFAULT_HTTP_METHODS_TO_CAPTURE,
    ) -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        self.http_methods_to_capture = tuple(map(str.upper, http_methods_to_capture))

    def setup(self) -> None:
        instrument("scopetel_flask", when_imported="flask")
        instrument("flask", when_imported="flask")
        accept(self, _DEFAULTS)
