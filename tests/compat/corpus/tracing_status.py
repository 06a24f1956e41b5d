"""set_http_status and set_status on transactions and spans."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)

with sentry_sdk.start_transaction(op="http.server", name="GET /orders/{id}") as transaction:
    with sentry_sdk.start_span(op="http.client", name="GET http://inventory/items/9") as span:
        span.set_http_status(404)
    with sentry_sdk.start_span(op="db", name="SELECT order") as span:
        span.set_status("internal_error")
    with sentry_sdk.start_span(op="cache.get", name="order:9"):
        pass
    transaction.set_http_status(503)

with sentry_sdk.start_transaction(op="task", name="cleanup") as transaction:
    transaction.set_status("ok")
sentry_sdk.flush()
