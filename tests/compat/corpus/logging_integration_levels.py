"""LoggingIntegration(level=, event_level=): INFO breadcrumbs, WARNING events."""

import logging
import os

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

logging.basicConfig(level=logging.INFO)
sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.WARNING)],
)
log = logging.getLogger("inventory")
log.debug("not recorded")
log.info("stock level read for %s", "SKU-9")
log.warning("stock below threshold: %d left", 3)
log.error("reorder failed for %s", "SKU-9")
sentry_sdk.flush()
