"""A custom EventScrubber with extra denied keys, as in the data-scrubbing docs."""

import os

import sentry_sdk
from sentry_sdk.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber

denylist = [*DEFAULT_DENYLIST, "card_number", "iban"]
pii_denylist = [*DEFAULT_PII_DENYLIST, "phone"]

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    send_default_pii=False,
    event_scrubber=EventScrubber(denylist=denylist, pii_denylist=pii_denylist, recursive=True),
)
sentry_sdk.set_context("payment", {"card_number": "4242", "amount": 12, "meta": {"iban": "DE00"}})


def refund(order_id: int) -> None:
    card_number = "4242424242424242"  # noqa: F841 (seen in the frame's locals)
    phone = "+1 555 0100"  # noqa: F841
    raise RuntimeError(f"refund of order {order_id} failed")


try:
    refund(7)
except RuntimeError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
