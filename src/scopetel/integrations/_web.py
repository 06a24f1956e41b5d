"""What sentry_sdk's web integrations share: default methods and status codes, styles."""

from typing import Final

from scopetel._web.endpoints import transaction_style

DEFAULT_HTTP_METHODS_TO_CAPTURE: Final = (
    "CONNECT",
    "DELETE",
    "GET",
    "PATCH",
    "POST",
    "PUT",
    "TRACE",
)
DEFAULT_FAILED_REQUEST_STATUS_CODES: Final = frozenset(range(500, 600))

__all__ = [
    "DEFAULT_FAILED_REQUEST_STATUS_CODES",
    "DEFAULT_HTTP_METHODS_TO_CAPTURE",
    "transaction_style",
]
