"""Span streaming (trace_lifecycle="stream"): sentry_sdk.traces.start_span and new_trace."""

import os

import sentry_sdk
from sentry_sdk import traces

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0, trace_lifecycle="stream")

with traces.start_span(name="GET /catalog", attributes={"sentry.op": "http.server"}):
    with traces.start_span(name="SELECT products") as span:
        span.set_attribute("db.system", "postgresql")

traces.new_trace()
with traces.start_span(name="rebuild-index") as span:
    span.status = "error"
sentry_sdk.flush()
