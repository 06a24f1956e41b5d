"""logger.exception() in an except block: an event with the exception and the log message."""

import logging
import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])
log = logging.getLogger("orders.sync")


def sync(order_id: int) -> None:
    raise ValueError(f"order {order_id} has no lines")


try:
    sync(11)
except ValueError:
    log.exception("sync of order %s failed", 11)
log.error("plain error with extra", extra={"order_id": 12, "attempt": 2})
sentry_sdk.flush()
