"""Renaming the running transaction: set_transaction_name and the scope method."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)

with sentry_sdk.start_transaction(op="http.server", name="generic WSGI request"):
    sentry_sdk.set_transaction_name("/products/{slug}", source="route")
    sentry_sdk.capture_message("Inside the renamed transaction")

with sentry_sdk.start_transaction(op="queue.task", name="task"):
    sentry_sdk.get_current_scope().set_transaction_name("tasks.send_digest", source="task")
sentry_sdk.flush()
