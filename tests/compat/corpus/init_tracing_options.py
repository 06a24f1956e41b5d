"""Tracing options: enable_tracing, propagate_traces, trace_propagation_targets."""

import os

import sentry_sdk

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    enable_tracing=True,
    propagate_traces=True,
    trace_propagation_targets=["api.example.com", r"^https://internal\."],
)

with sentry_sdk.start_transaction(op="task", name="sync-catalog"):
    with sentry_sdk.start_span(op="http.client", name="GET https://api.example.com/items"):
        pass
sentry_sdk.flush()
