"""disabled_integrations turns one default integration off."""

import logging
import os

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], disabled_integrations=[LoggingIntegration()])
logging.getLogger("app").error("This log record is not sent")
sentry_sdk.capture_message("Only this message is sent")
sentry_sdk.flush()
