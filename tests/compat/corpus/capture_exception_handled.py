"""Capturing a handled error, as the Python "Usage" docs show first."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def parse_quantity(raw: str) -> int:
    return int(raw)


def import_order_line(line: str) -> int:
    sku, quantity = line.split(",")  # noqa: RUF059 (both are seen in the frame's locals)
    return parse_quantity(quantity)


try:
    import_order_line("SKU-1,three")
except Exception as error:
    sentry_sdk.capture_exception(error)

sentry_sdk.flush()
