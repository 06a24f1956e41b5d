"""Event processors: on a scope, and global ones (sentry_sdk.scope.add_global_event_processor)."""

import os
from typing import Any

import sentry_sdk
from sentry_sdk.scope import add_global_event_processor

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)


@add_global_event_processor
def add_build(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    event.setdefault("extra", {})["build"] = "2024.06.1"
    return event


def drop_health_checks(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if event.get("message") == "health check":
        return None
    event.setdefault("tags", {})["processed"] = "yes"
    return event


sentry_sdk.get_isolation_scope().add_event_processor(drop_health_checks)
sentry_sdk.capture_message("health check")
sentry_sdk.capture_message("real problem")
with sentry_sdk.start_transaction(name="processed-transaction", op="task"):
    pass
sentry_sdk.flush()
