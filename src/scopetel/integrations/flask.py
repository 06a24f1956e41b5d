"""``sentry_sdk.integrations.flask``: Flask requests as transactions."""

from typing import Any

from scopetel._setup.integrations import replacement
from scopetel.integrations._base import accept, require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._instrumentors import instrument
from scopetel.integrations._web import DEFAULT_HTTP_METHODS_TO_CAPTURE
from scopetel.integrations._web import transaction_style as check_style

require("flask", "Flask")

TRANSACTION_STYLE_VALUES = ("endpoint", "url")


class FlaskIntegration(InstrumentorIntegration):
    """Server spans for Flask requests, through scopetel's ``scopetel_flask`` (names,
    unhandled view errors, the Flask-Login user) and OpenTelemetry's Flask
    instrumentation (``opentelemetry-instrumentation-flask``) when installed.

    Honoured: ``transaction_style`` when given (``endpoint``: ``posts.show``, source
    ``component``; ``url``: the url rule, source ``route``); when left out, scopetel's
    default applies (``url``, or ``SCOPETEL_FLASK_TRANSACTION_STYLE``). Accepted without
    effect: ``http_methods_to_capture``.
    """

    identifier = "flask"
    library = "flask"
    instrumentors = ("scopetel_flask", "flask")
    without_effect = {"http_methods_to_capture": DEFAULT_HTTP_METHODS_TO_CAPTURE}

    def __init__(
        self,
        transaction_style: str | None = None,
        http_methods_to_capture: tuple[str, ...] = DEFAULT_HTTP_METHODS_TO_CAPTURE,
    ) -> None:
        self._given_style = (
            None
            if transaction_style is None
            else check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        )
        self.transaction_style = self._given_style or "url"
        self.http_methods_to_capture = tuple(map(str.upper, http_methods_to_capture))

    def setup(self) -> None:
        style: dict[str, Any] = (
            {} if self._given_style is None else {"transaction_style": self._given_style}
        )
        ours = instrument("scopetel_flask", when_imported=self.library, **style)
        if not ours or replacement("flask", ()) is None:
            instrument("flask", when_imported=self.library)
        accept(self, self.without_effect)
