"""start_session / end_session around a unit of work, as desktop or CLI apps do."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], release="cli@2.0.0", environment="production")

sentry_sdk.start_session()
try:
    raise PermissionError("cannot write to ~/.config")
except PermissionError:
    sentry_sdk.capture_exception()
sentry_sdk.end_session()
sentry_sdk.flush()
