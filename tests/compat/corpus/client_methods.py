"""get_client(): is_active, options, dsn, flush, close; is_initialized."""

import os

import sentry_sdk

if sentry_sdk.is_initialized() or sentry_sdk.get_client().is_active():
    raise SystemExit("active before init")
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], environment="ci", release="tool@0.9")
client = sentry_sdk.get_client()
sentry_sdk.set_tag("initialized", sentry_sdk.is_initialized())
sentry_sdk.set_tag("active", client.is_active())
sentry_sdk.set_tag("environment_option", client.options["environment"])
sentry_sdk.set_tag("dsn_matches", client.dsn == os.environ["SENTRY_DSN"])
sentry_sdk.capture_message("Client inspected")
client.flush(timeout=5)
client.close()
sentry_sdk.capture_message("After close: not sent")
