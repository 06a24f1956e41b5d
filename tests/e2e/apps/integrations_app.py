"""``sentry_sdk.init(integrations=[...])`` inside an application that
``opentelemetry-instrument`` started: the integrations' options apply.

Argument: ``warning`` (LoggingIntegration(event_level=WARNING)) or ``default``.
"""

import logging
import sys

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

given = [LoggingIntegration(event_level=logging.WARNING)] if sys.argv[1] == "warning" else []
sentry_sdk.init(integrations=given)
log = logging.getLogger("app")
log.warning("stock below threshold")
log.error("reorder failed")
sentry_sdk.flush()
print("app done")
