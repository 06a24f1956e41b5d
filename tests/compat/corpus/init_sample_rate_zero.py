"""sample_rate=0.0 drops every error event; the drop is counted in a client report."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], sample_rate=0.0)

for attempt in range(3):
    try:
        raise ValueError(f"attempt {attempt} failed")
    except ValueError:
        sentry_sdk.capture_exception()

sentry_sdk.flush()
