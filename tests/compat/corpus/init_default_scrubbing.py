"""Without send_default_pii, secrets in locals, extras and user are scrubbed."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])
sentry_sdk.set_user({"id": "42", "email": "jane@example.com", "ip_address": "{{auto}}"})
sentry_sdk.set_extra("password", "hunter2")
sentry_sdk.set_extra("page", 3)


def connect(host: str) -> None:
    password = "s3cret"  # noqa: F841 (seen in the frame's locals)
    token = "tok_abc"  # noqa: F841
    raise ConnectionRefusedError(f"cannot reach {host}")


try:
    connect("db.internal")
except ConnectionRefusedError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
