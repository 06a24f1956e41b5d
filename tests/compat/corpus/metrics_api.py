"""sentry_sdk.metrics: count, gauge and distribution with attributes."""

import os

import sentry_sdk
from sentry_sdk import metrics

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])
metrics.count("checkout.completed", 1, attributes={"plan": "pro"})
metrics.gauge("queue.depth", 17, attributes={"queue": "emails"})
metrics.distribution("page.load", 183.5, unit="millisecond", attributes={"route": "/"})
sentry_sdk.flush()
