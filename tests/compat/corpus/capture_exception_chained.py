"""A chained exception (``raise ... from ...``) is sent with its cause."""

import json
import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], release="billing@2.3.1")


class ConfigError(RuntimeError):
    pass


def load_config(text: str) -> dict[str, object]:
    try:
        return dict(json.loads(text))
    except json.JSONDecodeError as error:
        raise ConfigError("settings.json is not valid JSON") from error


try:
    load_config("{'debug': true}")
except ConfigError as error:
    sentry_sdk.capture_exception(error)

sentry_sdk.flush()
