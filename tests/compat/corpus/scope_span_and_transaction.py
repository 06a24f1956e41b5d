"""scope.span and scope.transaction, read and written inside a transaction."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)

with sentry_sdk.start_transaction(op="task", name="original-name") as transaction:
    scope = sentry_sdk.get_current_scope()
    sentry_sdk.set_tag("scope_span_is_transaction", scope.span is transaction)
    sentry_sdk.set_tag("scope_transaction_is_transaction", scope.transaction is transaction)
    with sentry_sdk.start_span(op="step", name="inner") as span:
        sentry_sdk.set_tag("scope_span_is_inner", sentry_sdk.get_current_scope().span is span)
    scope.transaction = "renamed-by-scope"
    sentry_sdk.capture_message("inside")
sentry_sdk.flush()
