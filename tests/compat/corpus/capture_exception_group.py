"""An ExceptionGroup (Python 3.11) from concurrent validations."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def validate(record: dict[str, str]) -> None:
    problems: list[Exception] = []
    if "@" not in record.get("email", ""):
        problems.append(ValueError("email is not an address"))
    if not record.get("name"):
        problems.append(KeyError("name"))
    if problems:
        raise ExceptionGroup("record is invalid", problems)


try:
    validate({"email": "nobody"})
except ExceptionGroup as group:
    sentry_sdk.capture_exception(group)

sentry_sdk.flush()
