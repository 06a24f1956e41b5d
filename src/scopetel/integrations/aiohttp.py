"""``sentry_sdk.integrations.aiohttp``: aiohttp servers and clients."""

from collections.abc import Collection

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._web import DEFAULT_FAILED_REQUEST_STATUS_CODES
from scopetel.integrations._web import transaction_style as check_style

require("aiohttp", "AIOHTTP")

TRANSACTION_STYLE_VALUES = ("handler_name", "method_and_path_pattern")


class AioHttpIntegration(InstrumentorIntegration):
    """Server spans for aiohttp applications and client spans for ``ClientSession``
    requests, through OpenTelemetry's ``aiohttp-server`` and ``aiohttp-client``
    instrumentations.

    Accepted without effect: ``transaction_style``, ``failed_request_status_codes``.
    """

    identifier = "aiohttp"
    library = "aiohttp"
    instrumentors = ("aiohttp-server", "aiohttp-client")
    without_effect = {
        "transaction_style": "handler_name",
        "failed_request_status_codes": DEFAULT_FAILED_REQUEST_STATUS_CODES,
    }

    def __init__(
        self,
        transaction_style: str = "handler_name",
        *,
        failed_request_status_codes: Collection[int] = DEFAULT_FAILED_REQUEST_STATUS_CODES,
    ) -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        self.failed_request_status_codes = failed_request_status_codes
