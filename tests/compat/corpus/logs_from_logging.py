"""enable_logs with the standard logging module: records become Sentry logs too."""

import logging
import os

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

logging.basicConfig(level=logging.INFO)
sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    enable_logs=True,
    integrations=[LoggingIntegration(sentry_logs_level=logging.INFO)],
)
log = logging.getLogger("shipping")
log.info("label printed for %s", "parcel-1")
log.warning("carrier slow: %.1fs", 2.5)
sentry_sdk.flush()
