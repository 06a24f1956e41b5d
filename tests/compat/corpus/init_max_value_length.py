"""max_value_length trims long messages and values."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], max_value_length=40)


def render(template: str) -> str:
    context = {"body": "x" * 200}  # noqa: F841 (seen in the frame's locals)
    raise ValueError("template failed to render: " + template * 5)


try:
    render("{{ user.profile.display_name }}")
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.capture_message("A" * 120)
sentry_sdk.flush()
