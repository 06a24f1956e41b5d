"""Cron monitoring with @monitor and the monitor() context manager ("Crons" docs)."""

import os

import sentry_sdk
from sentry_sdk.crons import monitor

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


@monitor(monitor_slug="nightly-cleanup")
def cleanup() -> int:
    return 3


cleanup()
try:
    with monitor(monitor_slug="hourly-sync"):
        raise TimeoutError("sync took too long")
except TimeoutError:
    pass
sentry_sdk.flush()
