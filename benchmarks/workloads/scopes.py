"""Workload 3: ``set_tag``, and entering + leaving ``isolation_scope()`` / ``new_scope()``.

The baseline is a bare OpenTelemetry ``context.attach(context.set_value(key, value))``
followed by ``context.detach(token)``: the least a Context-based scope can cost.
scopetel and sentry-sdk are initialized (sampling on, serializing transport);
``set_tag`` runs inside an ``isolation_scope()`` as in a request handler.
"""

from collections.abc import Callable
from typing import Any

from benchmarks import harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Scopes: set_tag, isolation_scope(), new_scope()"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
OPS = 100
OTEL = "otel_context"
VARIANTS = (impls.SCOPETEL, impls.SENTRY_SDK, OTEL)
METRICS = (
    Metric("set_tag_ns", "ns", "set_tag on the isolation scope"),
    Metric("isolation_scope_ns", "ns", "isolation_scope() enter + exit", timing=True),
    Metric("new_scope_ns", "ns", "new_scope() enter + exit", timing=True),
    Metric("attach_detach_ns", "ns", "context.attach(set_value(...)) + detach"),
)
TARGETS = tuple(
    Target(
        f"{metric.split('_ns')[0]}() ≤ 1.5x attach+detach",
        metric,
        impls.SCOPETEL,
        OTEL,
        baseline_metric="attach_detach_ns",
        at_most=1.5,
    )
    for metric in ("isolation_scope_ns", "new_scope_ns")
)


def _scope_batches(sdk: Any) -> dict[str, Callable[[], None]]:
    isolation_scope, new_scope, set_tag = sdk.isolation_scope, sdk.new_scope, sdk.set_tag

    def isolation() -> None:
        for _ in range(OPS):
            with isolation_scope():
                pass

    def current() -> None:
        for _ in range(OPS):
            with new_scope():
                pass

    def tags() -> None:
        with isolation_scope():
            for _ in range(OPS):
                set_tag("tenant", "acme")

    return {"set_tag_ns": tags, "isolation_scope_ns": isolation, "new_scope_ns": current}


def _attach_detach() -> Callable[[], None]:
    from opentelemetry import context

    key = context.create_key("bench")
    attach, detach, set_value = context.attach, context.detach, context.set_value

    def batch() -> None:
        for _ in range(OPS):
            detach(attach(set_value(key, 1)))

    return batch


def measure(variant: str, quick: bool) -> dict[str, Any]:
    if variant == impls.SCOPETEL:
        import scopetel

        impls.init_scopetel(1.0)
        batches = _scope_batches(scopetel)
    elif variant == impls.SENTRY_SDK:
        import sentry_sdk

        impls.init_sentry(1.0)
        batches = _scope_batches(sentry_sdk)
    else:
        batches = {"attach_detach_ns": _attach_detach()}
    return {
        name: harness.per_op_ns(batch, OPS, repeat_s=0.05, warmup_s=0.05, quick=quick).cpu_ns
        for name, batch in batches.items()
    }


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
