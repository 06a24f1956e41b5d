"""before_breadcrumb edits or drops breadcrumbs, using the hint for log records."""

import logging
import os
from typing import Any

import sentry_sdk


def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if crumb.get("category") == "sql":
        return None
    record = hint.get("log_record")
    if record is not None and record.name == "payments":
        crumb["message"] = "payment log line (redacted)"
    return crumb


logging.basicConfig(level=logging.INFO)
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], before_breadcrumb=before_breadcrumb)

sentry_sdk.add_breadcrumb(category="sql", message="SELECT * FROM users")
sentry_sdk.add_breadcrumb(category="cache", message="miss: user:17")
logging.getLogger("payments").warning("card 4242 charged")
logging.getLogger("shipping").info("label printed")
sentry_sdk.capture_message("Order placed")
sentry_sdk.flush()
