"""DidNotEnable when an integration's library is absent; the base Integration class."""

import os

import sentry_sdk
from sentry_sdk.integrations import DidNotEnable, Integration

integrations: list[Integration] = []
try:
    from sentry_sdk.integrations.flask import FlaskIntegration  # Flask is not installed here

    integrations.append(FlaskIntegration())
except DidNotEnable as reason:
    flask_missing = str(reason)

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], integrations=integrations)
sentry_sdk.set_tag("flask_integration", "missing" if not integrations else "present")
sentry_sdk.set_tag("reason_mentions_flask", "Flask" in flask_missing or "flask" in flask_missing)
sentry_sdk.capture_message("Started without Flask")
sentry_sdk.flush()
