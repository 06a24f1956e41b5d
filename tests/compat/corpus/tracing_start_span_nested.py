"""start_span nests under the current span ("Custom Instrumentation" docs)."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)


def fetch_prices() -> list[int]:
    with sentry_sdk.start_span(op="http.client", name="GET /prices") as span:
        span.set_data("http.response.status_code", 200)
        return [3, 4, 5]


def compute_total() -> int:
    with sentry_sdk.start_span(op="function", name="compute_total"):
        return sum(fetch_prices())


with sentry_sdk.start_transaction(op="task", name="price-job"):
    compute_total()
    with sentry_sdk.start_span(op="cache.put", name="prices"):
        pass
sentry_sdk.flush()
