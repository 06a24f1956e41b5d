"""Scope data passed straight to the capture functions (keyword arguments)."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def send_invoice(invoice_id: int) -> None:
    raise ConnectionError(f"SMTP server refused invoice {invoice_id}")


try:
    send_invoice(1042)
except ConnectionError as error:
    sentry_sdk.capture_exception(
        error,
        tags={"component": "mailer"},
        extras={"invoice_id": 1042},
        user={"id": "u-17"},
        contexts={"smtp": {"host": "mail.internal", "port": 587}},
        fingerprint=["smtp-refused"],
        level="warning",
    )

sentry_sdk.capture_message("Invoice queue drained", tags={"component": "mailer"}, level="info")
sentry_sdk.flush()
