"""The deprecated 1.x APIs still work and warn with DeprecationWarning, like sentry_sdk 2.x."""

import os
import warnings

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with sentry_sdk.configure_scope() as scope:
        scope.set_tag("configured", "yes")
    with sentry_sdk.push_scope() as scope:
        scope.set_tag("pushed", "yes")
        sentry_sdk.capture_message("inside push_scope")
    hub = sentry_sdk.Hub.current
    hub.capture_message("through the hub")

kinds = sorted({w.category.__name__ for w in caught})
sentry_sdk.set_tag("warning_kinds", ",".join(kinds))
sentry_sdk.set_tag("warned_at_least_3", len(caught) >= 3)
sentry_sdk.capture_message("deprecations counted")
sentry_sdk.flush()
