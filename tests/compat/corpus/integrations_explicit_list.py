"""init(integrations=[...]) naming the standard integrations with their options."""

import logging
import os

import sentry_sdk
from sentry_sdk.integrations.atexit import AtexitIntegration
from sentry_sdk.integrations.dedupe import DedupeIntegration
from sentry_sdk.integrations.excepthook import ExcepthookIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.modules import ModulesIntegration
from sentry_sdk.integrations.stdlib import StdlibIntegration
from sentry_sdk.integrations.threading import ThreadingIntegration


def on_exit(pending: int, timeout: float) -> None:
    pass


sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    integrations=[
        AtexitIntegration(callback=on_exit),
        DedupeIntegration(),
        ExcepthookIntegration(always_run=True),
        LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ModulesIntegration(),
        StdlibIntegration(),
        ThreadingIntegration(propagate_scope=True),
    ],
)

error = LookupError("same error twice")
for _ in range(2):
    try:
        raise error
    except LookupError:
        sentry_sdk.capture_exception()
sentry_sdk.flush()
