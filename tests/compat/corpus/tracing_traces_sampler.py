"""traces_sampler decides per transaction, with a custom sampling context."""

import os
from typing import Any

import sentry_sdk


def traces_sampler(sampling_context: dict[str, Any]) -> float:
    name = sampling_context["transaction_context"]["name"]
    if name.startswith("health"):
        return 0.0
    if sampling_context.get("priority") == "low":
        return 0.0
    return 1.0


sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sampler=traces_sampler)

for name, priority in (("health-check", "high"), ("checkout", "high"), ("report", "low")):
    context = {"priority": priority}
    with sentry_sdk.start_transaction(op="task", name=name, custom_sampling_context=context):
        with sentry_sdk.start_span(op="step", name=f"{name} step"):
            pass
sentry_sdk.flush()
