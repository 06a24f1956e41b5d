"""``sentry_sdk.integrations.django``: Django requests as transactions, their errors."""

from collections.abc import Collection
from typing import Any

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._web import (
    DEFAULT_FAILED_REQUEST_STATUS_CODES,
    DEFAULT_HTTP_METHODS_TO_CAPTURE,
)
from scopetel.integrations._web import (
    transaction_style as check_style,
)
from scopetel.integrations.logging import ignore_logger

require("django", "Django")

TRANSACTION_STYLE_VALUES = ("function_name", "url")
_DEFAULTS: dict[str, Any] = {
    "middleware_spans": False,
    "cache_spans": False,
    "db_transaction_spans": False,
    "http_methods_to_capture": DEFAULT_HTTP_METHODS_TO_CAPTURE,
    "failed_request_status_codes": DEFAULT_FAILED_REQUEST_STATUS_CODES,
}


class DjangoIntegration(InstrumentorIntegration):
    """Per-request scopes, server spans named by route, request data and unhandled
    errors (mechanism ``django``), through ``scopetel_django``.

    Honoured: ``transaction_style`` (``url``: the URL pattern; ``function_name``: the
    view's dotted name), ``signals_spans`` (a span per signal receiver, op
    ``event.django``) and ``signals_denylist`` (signals whose receivers get none).
    Accepted without effect: ``middleware_spans``, ``cache_spans``,
    ``db_transaction_spans``, ``http_methods_to_capture``, ``failed_request_status_codes``.
    """

    identifier = "django"
    instrumentors = ("scopetel_django",)
    honoured = {"transaction_style": "url", "signals_spans": True, "signals_denylist": []}
    without_effect = _DEFAULTS

    def __init__(
        self,
        transaction_style: str = "url",
        middleware_spans: bool = False,
        signals_spans: bool = True,
        cache_spans: bool = False,
        db_transaction_spans: bool = False,
        signals_denylist: list[Any] | None = None,
        http_methods_to_capture: tuple[str, ...] = DEFAULT_HTTP_METHODS_TO_CAPTURE,
        *,
        failed_request_status_codes: Collection[int] = DEFAULT_FAILED_REQUEST_STATUS_CODES,
    ) -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        self.middleware_spans = middleware_spans
        self.signals_spans = signals_spans
        self.cache_spans = cache_spans
        self.db_transaction_spans = db_transaction_spans
        self.signals_denylist = signals_denylist or []
        self.http_methods_to_capture = tuple(map(str.upper, http_methods_to_capture))
        self.failed_request_status_codes = failed_request_status_codes

    @staticmethod
    def setup_once() -> None:
        ignore_logger("django.server")  # Django logs each 5xx there: reported already
        ignore_logger("django.request")
