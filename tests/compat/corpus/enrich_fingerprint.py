"""Custom fingerprints from the scope and from before_send ("Fingerprinting" docs)."""

import os
from typing import Any

import sentry_sdk


class DatabaseUnavailable(Exception):
    def __init__(self, function: str) -> None:
        super().__init__(f"database unavailable in {function}")
        self.function = function


def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    if "exc_info" in hint:
        _, error, _ = hint["exc_info"]
        if isinstance(error, DatabaseUnavailable):
            event["fingerprint"] = ["database-unavailable", error.function]
    return event


sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], before_send=before_send)

try:
    raise DatabaseUnavailable("load_orders")
except DatabaseUnavailable:
    sentry_sdk.capture_exception()

with sentry_sdk.new_scope() as scope:
    scope.fingerprint = ["{{ default }}", "tenant-acme"]
    sentry_sdk.capture_message("Grouped per tenant")
sentry_sdk.flush()
