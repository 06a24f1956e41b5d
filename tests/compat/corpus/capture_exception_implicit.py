"""capture_exception() with no argument inside ``except``: the active exception is sent."""

import sentry_sdk

sentry_sdk.init()  # the DSN comes from SENTRY_DSN


class PaymentDeclined(Exception):
    pass


def charge(card: str, amount_cents: int) -> None:
    if card.endswith("0002"):
        raise PaymentDeclined(f"card ending {card[-4:]} declined for {amount_cents} cents")


for card in ("4242424242424242", "4000000000000002"):
    try:
        charge(card, 1999)
    except PaymentDeclined:
        sentry_sdk.capture_exception()

sentry_sdk.flush(timeout=5)
