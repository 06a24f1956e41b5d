"""The identity options of init: release, environment, dist."""

import os

import sentry_sdk

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    release="shop@4.2.0+build.17",
    environment="canary",
    dist="17",
)
sentry_sdk.capture_message("Deployed")
sentry_sdk.flush()
