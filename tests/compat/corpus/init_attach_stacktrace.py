"""attach_stacktrace=True adds the calling stack to messages."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], attach_stacktrace=True)


def report_slow_query(sql: str, seconds: float) -> None:
    sentry_sdk.capture_message(f"Slow query ({seconds:.1f}s)", level="warning")


def run_report() -> None:
    report_slow_query("SELECT * FROM orders", 4.2)


run_report()
sentry_sdk.flush()
