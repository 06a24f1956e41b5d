"""capture_event with a hand-made event dictionary."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

sentry_sdk.capture_event(
    {
        "message": "Quota exceeded for tenant acme",
        "level": "warning",
        "logger": "billing.quota",
        "tags": {"tenant": "acme", "plan": "pro"},
        "extra": {"used": 10_250, "limit": 10_000},
        "fingerprint": ["quota-exceeded", "acme"],
    }
)
sentry_sdk.flush()
