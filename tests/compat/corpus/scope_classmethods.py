"""The Scope classmethods: current, isolation, global scope and the client."""

import os

import sentry_sdk
from sentry_sdk import Scope

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

Scope.get_global_scope().set_tag("cluster", "k8s-prod")
Scope.get_isolation_scope().set_tag("request_kind", "cron")
Scope.get_current_scope().set_tag("step", "cleanup")
client = Scope.get_client()
if not client.is_active():
    raise SystemExit("the client is not active")
sentry_sdk.get_isolation_scope().set_context("cleanup", {"removed": 12})
sentry_sdk.capture_message("Cleanup done")
sentry_sdk.flush()
