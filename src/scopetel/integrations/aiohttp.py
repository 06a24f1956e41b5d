"""``sentry_sdk.integrations.aiohttp``: aiohttp servers and clients."""

from collections.abc import Collection
from typing import Any

from scopetel.integrations._base import Integration, accept, require
from scopetel.integrations._instrumentors import instrument
from scopetel.integrations._web import DEFAULT_FAILED_REQUEST_STATUS_CODES
from scopetel.integrations._web import transaction_style as check_style

require("aiohttp", "AIOHTTP")

TRANSACTION_STYLE_VALUES = ("handler_name", "method_and_path_pattern")
_DEFAULTS: dict[str, Any] = {
    "transaction_style": "handler_name",
    "failed_request_status_codes": DEFAULT_FAILED_REQUEST_STATUS_CODES,
}


class AioHttpIntegration(Integration):
    """Server spans for aiohttp applications and client spans for ``ClientSession``
    requests, through OpenTelemetry's ``aiohttp-server`` and ``aiohttp-client``
    instrumentations.

    Accepted without effect: ``transaction_style``, ``failed_request_status_codes``.
    """

    identifier = "aiohttp"

    def __init__(
        self,
        transaction_style: str = "handler_name",
        *,
        failed_request_status_codes: Collection[int] = DEFAULT_FAILED_REQUEST_STATUS_CODES,
    ) -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        self.failed_request_status_codes = failed_request_status_codes

    def setup(self) -> None:
        instrument("aiohttp-server", when_imported="aiohttp")
        instrument("aiohttp-client", when_imported="aiohttp")
        accept(self, _DEFAULTS)
