"""last_event_id() after a capture, as support pages show it to users."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

assert sentry_sdk.last_event_id() is None
try:
    {}["missing"]
except KeyError:
    sentry_sdk.capture_exception()
event_id = sentry_sdk.last_event_id()
if event_id is None or len(event_id) != 32:
    raise SystemExit(f"unexpected last_event_id {event_id!r}")
sentry_sdk.set_extra("previous_event", event_id)
sentry_sdk.capture_message("User opened the error page")
sentry_sdk.flush()
