"""in_app_include / in_app_exclude decide which frames are the application's."""

import json
import os

import sentry_sdk

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    in_app_include=["json"],
    in_app_exclude=["__main__"],
)


def read_payload(text: str) -> object:
    return json.loads(text)


try:
    read_payload("{broken")
except json.JSONDecodeError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
