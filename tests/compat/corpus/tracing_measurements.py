"""Custom measurements: set_measurement on the transaction and at top level."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)

with sentry_sdk.start_transaction(op="ui.load", name="render-dashboard") as transaction:
    transaction.set_measurement("widgets", 12)
    transaction.set_measurement("memory_used", 123, "byte")
    sentry_sdk.set_measurement("ui.footerComponent.render", 1.3, "second")
sentry_sdk.flush()
