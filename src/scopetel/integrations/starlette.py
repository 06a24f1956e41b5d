"""``sentry_sdk.integrations.starlette``: Starlette requests as transactions, their errors."""

import warnings
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

require("starlette", "Starlette")

TRANSACTION_STYLE_VALUES = ("endpoint", "url")
_DEFAULTS: dict[str, Any] = {
    "failed_request_status_codes": DEFAULT_FAILED_REQUEST_STATUS_CODES,
    "middleware_spans": False,
    "http_methods_to_capture": DEFAULT_HTTP_METHODS_TO_CAPTURE,
}


class StarletteIntegration(InstrumentorIntegration):
    """scopetel's ASGI layer in every Starlette (and FastAPI) application: per-request
    scopes, server spans, request data, unhandled errors (mechanism ``starlette``),
    through ``scopetel_asgi``.

    Honoured: ``transaction_style`` (``url``: the route's path; ``endpoint``: the
    endpoint's dotted name). Accepted without effect: ``failed_request_status_codes``,
    ``middleware_spans``, ``http_methods_to_capture``.
    """

    identifier = "starlette"
    instrumentors = ("scopetel_asgi",)
    honoured = {"transaction_style": "url"}
    without_effect = _DEFAULTS

    def __init__(
        self,
        transaction_style: str = "url",
        failed_request_status_codes: Collection[int] | None = DEFAULT_FAILED_REQUEST_STATUS_CODES,
        middleware_spans: bool = False,
        http_methods_to_capture: tuple[str, ...] = DEFAULT_HTTP_METHODS_TO_CAPTURE,
    ) -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        if not isinstance(failed_request_status_codes, (set, frozenset)):
            warnings.warn(
                "Passing a list or None for failed_request_status_codes is deprecated. "
                "Please pass a set of int instead.",
                DeprecationWarning,
                stacklevel=2,
            )
        self.failed_request_status_codes = failed_request_status_codes
        self.middleware_spans = middleware_spans
        self.http_methods_to_capture = tuple(map(str.upper, http_methods_to_capture))
