"""The test project started the sentry_sdk way: ``scopetel.init()`` in the settings module
(no ``opentelemetry-instrument``); DSN and rates come from ``SENTRY_*`` variables."""

import scopetel
from djangoapp.settings import *  # noqa: F403

scopetel.init()
