"""send_default_pii=True, with a user whose IP address the server fills in."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], send_default_pii=True)

sentry_sdk.set_user({"id": "42", "email": "jane@example.com", "ip_address": "{{auto}}"})


def login(password: str) -> None:
    api_key = "sk_live_123"  # noqa: F841 (seen in the frame's locals)
    raise PermissionError("two-factor code rejected")


try:
    login("hunter2")
except PermissionError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
