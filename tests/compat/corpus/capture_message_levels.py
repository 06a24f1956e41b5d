"""capture_message at several levels, as in the "Capturing Messages" docs."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], environment="staging")

sentry_sdk.capture_message("Nightly import finished with warnings", level="warning")
sentry_sdk.capture_message("Cache warmed", "info")
sentry_sdk.capture_message("Disk almost full")
sentry_sdk.capture_message("Payment provider unreachable", level="fatal")

sentry_sdk.flush()
