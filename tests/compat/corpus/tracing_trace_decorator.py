"""@sentry_sdk.trace, bare and with op/name."""

import os

import sentry_sdk
from sentry_sdk import trace

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)


@trace
def eat_slice(pizza: str) -> str:
    return pizza[:1]


class Oven:
    @trace
    def bake(self, minutes: int) -> int:
        return minutes * 60


@sentry_sdk.trace(op="serialize", name="dump the order")
def dump(order: dict[str, int]) -> str:
    return repr(order)


with sentry_sdk.start_transaction(op="task", name="make-pizza"):
    Oven().bake(12)
    eat_slice("margherita")
    dump({"pizzas": 2})
sentry_sdk.flush()
