"""new_scope(): a forked current scope for one block, as the 2.x migration guide says."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])
sentry_sdk.set_tag("app", "pricing")

with sentry_sdk.new_scope() as scope:
    scope.set_tag("rule", "bulk-discount")
    scope.set_extra("items", 120)
    sentry_sdk.capture_message("Discount rule matched")

sentry_sdk.capture_message("Outside the block")
sentry_sdk.flush()
