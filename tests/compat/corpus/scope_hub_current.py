"""The legacy Hub API: Hub.current for capture and scope access (deprecated in 2.x)."""

import os
import warnings

import sentry_sdk
from sentry_sdk import Hub

warnings.simplefilter("ignore", DeprecationWarning)
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

hub = Hub.current
if hub.client is None:
    raise SystemExit("Hub.current has no client after init")
hub.scope.set_tag("via", "hub")
with hub.configure_scope() as scope:
    scope.set_extra("legacy", True)
hub.capture_message("Captured through Hub.current")
try:
    raise OSError("disk quota")
except OSError:
    hub.capture_exception()
with hub.start_transaction(op="task", name="hub-transaction"):
    pass
hub.flush()
