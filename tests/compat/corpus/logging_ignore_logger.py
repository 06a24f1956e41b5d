"""ignore_logger() silences one noisy library logger."""

import logging
import os

import sentry_sdk
from sentry_sdk.integrations.logging import ignore_logger

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])
ignore_logger("noisy.library")

logging.getLogger("noisy.library").error("retrying connection (1/5)")
logging.getLogger("app").error("user-facing failure")
sentry_sdk.flush()
