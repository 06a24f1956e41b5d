"""max_breadcrumbs keeps the latest breadcrumbs only."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], max_breadcrumbs=3)

for step in range(1, 8):
    sentry_sdk.add_breadcrumb(category="wizard", message=f"step {step} done", level="info")
sentry_sdk.capture_message("Wizard abandoned")
sentry_sdk.flush()
