"""default_integrations=False with a hand-picked list, as minimal set-ups do."""

import logging
import os

import sentry_sdk
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    default_integrations=False,
    auto_enabling_integrations=False,
    integrations=[LoggingIntegration(event_level=logging.ERROR), DedupeIntegration()],
)
logging.getLogger("app").error("Could not refresh the exchange rates")
sentry_sdk.flush()
