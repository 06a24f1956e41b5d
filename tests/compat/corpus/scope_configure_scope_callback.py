"""configure_scope(callback), as older Celery/Django set-ups wrote it."""

import os
import warnings

import sentry_sdk

warnings.simplefilter("ignore", DeprecationWarning)
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def tag_deployment(scope: sentry_sdk.Scope) -> None:
    scope.set_tag("deployment", "blue")
    scope.set_context("build", {"sha": "abc123", "number": 88})


sentry_sdk.configure_scope(tag_deployment)
try:
    raise FileNotFoundError("templates/base.html")
except FileNotFoundError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
