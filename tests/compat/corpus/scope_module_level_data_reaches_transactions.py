"""Tags, user, contexts and extras set at module level reach transactions too."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)
sentry_sdk.set_tag("tenant", "acme")
sentry_sdk.set_user({"id": "u-1"})
sentry_sdk.set_context("deploy", {"color": "green"})
sentry_sdk.set_extra("batch", 3)
sentry_sdk.get_global_scope().set_tag("cluster", "eu-1")

with sentry_sdk.start_transaction(op="task", name="nightly-report"):
    with sentry_sdk.start_span(op="db.query", name="SELECT totals"):
        pass
sentry_sdk.flush()
