"""configure_scope() as a context manager (sentry_sdk 1.x style, deprecated in 2.x)."""

import os
import warnings

import sentry_sdk

warnings.simplefilter("ignore", DeprecationWarning)
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

with sentry_sdk.configure_scope() as scope:
    scope.set_tag("region", "eu-west-1")
    scope.set_extra("worker_pid_known", True)
    scope.user = {"id": "svc-importer"}

sentry_sdk.capture_message("Importer started")
sentry_sdk.flush()
