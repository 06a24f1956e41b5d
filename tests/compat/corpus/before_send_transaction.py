"""before_send_transaction drops health checks and renames others."""

import os
from typing import Any

import sentry_sdk


def before_send_transaction(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if event.get("transaction") == "/healthz":
        return None
    event["transaction"] = event["transaction"].replace("/users/42", "/users/{id}")
    return event


sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0,
    before_send_transaction=before_send_transaction,
)
for path in ("/healthz", "/users/42"):
    with sentry_sdk.start_transaction(op="http.server", name=path, source="url"):
        with sentry_sdk.start_span(op="db", name="SELECT user"):
            pass
sentry_sdk.flush()
