"""set_tag, set_tags, set_user, set_context, set_extra, set_level: "Enriching Events"."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])
sentry_sdk.set_tag("page.locale", "de-at")
sentry_sdk.set_tags({"browser": "Firefox", "plan": "team"})
sentry_sdk.set_user({"id": "17", "username": "grace", "segment": "beta"})
sentry_sdk.set_context("character", {"name": "Mighty Fighter", "age": 19, "attack_type": "melee"})
sentry_sdk.set_extra("cart_size", 3)
sentry_sdk.set_level("warning")
sentry_sdk.capture_message("Character creation took long")
sentry_sdk.set_user(None)
sentry_sdk.capture_message("After log-out")
sentry_sdk.flush()
