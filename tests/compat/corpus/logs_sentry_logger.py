"""Structured logs: enable_logs with sentry_sdk.logger and before_send_log ("Logs" docs)."""

import os
from typing import Any

import sentry_sdk
from sentry_sdk import logger as sentry_logger


def before_send_log(log: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if log["severity_text"] == "debug":
        return None
    return log


sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], enable_logs=True, before_send_log=before_send_log)
sentry_logger.debug("dropped by before_send_log")
sentry_logger.info("Updated global cache")
sentry_logger.warning("Rate limit reached for endpoint {endpoint}", endpoint="/api/results/")
sentry_logger.error(
    "Failed to process payment. Order: {order_id}. Amount: {amount}",
    order_id="or_2342",
    amount=99.99,
    attributes={"payment.provider": "stripe"},
)
sentry_sdk.flush()
