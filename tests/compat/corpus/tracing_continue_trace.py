"""continue_trace() with incoming sentry-trace and baggage headers (a queue consumer)."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0, release="consumer@3")

message_headers = {
    "sentry-trace": "771a43a4192642f0b136d5159a501700-1b1d2bd5cc4f5e6a-1",
    "baggage": "sentry-trace_id=771a43a4192642f0b136d5159a501700,sentry-environment=production,"
    "sentry-release=producer%401.2,sentry-public_key=public,sentry-transaction=enqueue,"
    "sentry-sample_rate=1.0,sentry-sampled=true,sentry-sample_rand=0.25,other-vendor=x",
}

transaction = sentry_sdk.continue_trace(message_headers, op="queue.process", name="process-order")
with sentry_sdk.start_transaction(transaction):
    with sentry_sdk.start_span(op="db", name="UPDATE orders"):
        pass
    sentry_sdk.capture_message("Order processed in the producer's trace")
sentry_sdk.flush()
