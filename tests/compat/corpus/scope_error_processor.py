"""scope.add_error_processor(fn, cls): edit events of one exception class."""

import os
from typing import Any

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def mark_retryable(event: dict[str, Any], exc_info: Any) -> dict[str, Any]:
    event.setdefault("tags", {})["retryable"] = "yes"
    return event


sentry_sdk.get_isolation_scope().add_error_processor(mark_retryable, TimeoutError)

for error in (TimeoutError("upstream slow"), ValueError("bad input")):
    try:
        raise error
    except Exception:
        sentry_sdk.capture_exception()
sentry_sdk.flush()
