"""custom_repr controls how local variables of application classes are shown."""

import os

import sentry_sdk


class Customer:
    def __init__(self, customer_id: int, tier: str) -> None:
        self.customer_id = customer_id
        self.tier = tier


def customer_repr(value: object) -> str | None:
    if isinstance(value, Customer):
        return f"<Customer {value.customer_id} ({value.tier})>"
    return None


sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], custom_repr=customer_repr)


def upgrade(customer: Customer) -> None:
    raise LookupError(f"no plan above {customer.tier}")


try:
    upgrade(Customer(7, "gold"))
except LookupError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
