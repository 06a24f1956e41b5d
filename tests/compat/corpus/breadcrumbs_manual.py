"""Manual breadcrumbs with every field ("Breadcrumbs" docs)."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])

sentry_sdk.add_breadcrumb(category="auth", message="Authenticated user jane", level="info")
sentry_sdk.add_breadcrumb(
    type="http",
    category="xhr",
    data={"url": "/api/cart", "method": "POST", "status_code": 500},
    level="error",
)
sentry_sdk.add_breadcrumb({"category": "ui.click", "message": "button#checkout"})
sentry_sdk.get_isolation_scope().add_breadcrumb(category="navigation", message="to /receipt")
try:
    raise RuntimeError("cart service returned 500")
except RuntimeError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
