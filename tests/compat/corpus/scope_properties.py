"""Scope properties real code assigns: user, level, transaction, fingerprint; clear()."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

scope = sentry_sdk.get_current_scope()
scope.user = {"id": "7", "username": "ada"}
scope.level = "warning"
scope.fingerprint = ["{{ default }}", "checkout"]
scope.set_tag("temporary", "yes")
scope.clear()
scope.user = {"id": "8"}
scope.set_level("error")
scope.fingerprint = ["checkout-failed"]
scope.set_transaction_name("checkout")
sentry_sdk.capture_message("Checkout failed")
sentry_sdk.flush()
