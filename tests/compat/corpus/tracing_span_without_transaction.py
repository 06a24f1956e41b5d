"""start_span() with no transaction around it, then an error captured in it."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)

with sentry_sdk.start_span(op="function", name="orphan work"):
    sentry_sdk.capture_message("Inside a span without a transaction")
sentry_sdk.flush()
