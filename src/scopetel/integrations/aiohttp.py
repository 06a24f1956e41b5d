"""``sentry_sdk.integrations.aiohttp``: aiohttp servers and clients."""

from collections.abc import Collection
from typing import Any

from scopetel.integrations._base import changed, require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._instrumentors import instrument
from scopetel.integrations._web import DEFAULT_FAILED_REQUEST_STATUS_CODES
from scopetel.integrations._web import transaction_style as check_style
from scopetel.integrations.logging import ignore_logger

require("aiohttp", "AIOHTTP")

TRANSACTION_STYLE_VALUES = ("handler_name", "method_and_path_pattern")


class _Default(str):
    """sentry_sdk's default value, told apart from the same value given on purpose."""

    __slots__ = ()


_HANDLER_NAME = _Default("handler_name")


class AioHttpIntegration(InstrumentorIntegration):
    """Per-request scopes, server spans named by route, unhandled handler errors
    (mechanism ``aiohttp``) and bodies inside their request, through ``scopetel_aiohttp``
    (adopting the server span of OpenTelemetry's ``aiohttp-server`` instrumentation);
    client spans and outgoing trace headers through ``aiohttp-client``.

    Honoured: ``failed_request_status_codes``; ``transaction_style`` when given:
    ``"handler_name"`` names transactions after the handler (source ``component``),
    ``"method_and_path_pattern"`` after the route (source ``route``). Left at its
    default, transactions are named by route, as scopetel names them for every framework.
    """

    identifier = "aiohttp"
    library = "aiohttp"
    instrumentors = ("scopetel_aiohttp", "aiohttp-server", "aiohttp-client")

    def __init__(
        self,
        transaction_style: str = _HANDLER_NAME,
        *,
        failed_request_status_codes: Collection[int] = DEFAULT_FAILED_REQUEST_STATUS_CODES,
    ) -> None:
        self.transaction_style = check_style(transaction_style, TRANSACTION_STYLE_VALUES)
        self.failed_request_status_codes = failed_request_status_codes

    @staticmethod
    def setup_once() -> None:
        ignore_logger("aiohttp.server")  # it logs each unhandled error: reported already

    def setup(self) -> None:
        """Options go to scopetel's instrumentor only; contrib's take none of them."""
        options: dict[str, Any] = changed(
            {"failed_request_status_codes": self.failed_request_status_codes},
            {"failed_request_status_codes": DEFAULT_FAILED_REQUEST_STATUS_CODES},
        )
        if not isinstance(self.transaction_style, _Default):
            options["transaction_style"] = str(self.transaction_style)
        instrument("scopetel_aiohttp", when_imported=self.library, **options)
        for target in self.instrumentors[1:]:
            instrument(target, when_imported=self.library)
