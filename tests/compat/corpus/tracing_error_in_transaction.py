"""An error captured inside a transaction is linked to it (transaction name, trace header)."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0, environment="qa")

with sentry_sdk.start_transaction(op="task", name="send-newsletter"):
    with sentry_sdk.start_span(op="template.render", name="newsletter.html"):
        try:
            raise UnicodeEncodeError("ascii", "Grüße", 2, 3, "ordinal not in range(128)")
        except UnicodeEncodeError:
            sentry_sdk.capture_exception()
sentry_sdk.flush()
