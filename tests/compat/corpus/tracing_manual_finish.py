"""Spans started and finished by hand (no context managers), get_current_span()."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)

transaction = sentry_sdk.start_transaction(op="task", name="manual")
span = transaction.start_child(op="step", description="first")
span.set_data("position", 1)
span.finish()
second = transaction.start_child(op="step", description="second")
second.finish()
if sentry_sdk.get_current_span() is not None:
    raise SystemExit("a transaction that was not entered must not be current")
transaction.finish()

with sentry_sdk.start_transaction(op="task", name="entered") as entered:
    current = sentry_sdk.get_current_span()
    sentry_sdk.set_tag("current_is_transaction", current is entered)
    sentry_sdk.set_tag(
        "traceparent_matches", entered.to_traceparent() == sentry_sdk.get_traceparent()
    )
    sentry_sdk.capture_message("checked the current span")
sentry_sdk.flush()
