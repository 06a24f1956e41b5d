"""update_current_span() and set_attribute() (sentry_sdk 2.35+)."""

import os

import sentry_sdk
from sentry_sdk.consts import OP

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)
sentry_sdk.set_attribute("tenant", "acme")

with sentry_sdk.start_transaction(op="task", name="process-batch"):
    with sentry_sdk.start_span(op="function", name="step"):
        sentry_sdk.update_current_span(
            op=OP.FUNCTION, name="process_user_data", attributes={"user_id": 123, "batch": 50}
        )
sentry_sdk.flush()
