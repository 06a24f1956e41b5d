"""include_local_variables=False: frames carry no locals."""

import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], include_local_variables=False)


def apply_discount(price: float, code: str) -> float:
    rates = {"WELCOME10": 0.1}
    return price * (1 - rates[code])


try:
    apply_discount(80.0, "SPRING")
except KeyError as error:
    sentry_sdk.capture_exception(error)
sentry_sdk.flush()
