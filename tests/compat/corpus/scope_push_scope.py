"""push_scope(): data for one capture only (both forms)."""

import os
import warnings

import sentry_sdk

warnings.simplefilter("ignore", DeprecationWarning)
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])
sentry_sdk.set_tag("service", "exporter")

with sentry_sdk.push_scope() as scope:
    scope.set_tag("export", "csv")
    scope.level = "warning"
    sentry_sdk.capture_message("CSV export truncated")


def add_job(scope: sentry_sdk.Scope) -> None:
    scope.set_extra("job_id", 5)


sentry_sdk.push_scope(add_job)
sentry_sdk.capture_message("Export finished")
sentry_sdk.flush()
