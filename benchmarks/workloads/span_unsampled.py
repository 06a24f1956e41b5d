"""Workload 2: the same child span when the trace is not sampled.

scopetel with ``traces_sample_rate=0``, the OTel SDK with the ``ALWAYS_OFF`` sampler
(a BatchSpanProcessor attached, which never sees a span), sentry-sdk with
``traces_sample_rate=0``, and the OTel API with no SDK installed (the floor). Each
batch is one root with 100 children entered as ``with`` blocks.
"""

from typing import Any

from benchmarks import harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Unsampled child span"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
CHILDREN = 100
VARIANTS = (impls.SCOPETEL, impls.OTEL_SDK, impls.SENTRY_SDK, impls.OTEL_API)
METRICS = (
    Metric("ns_per_span", "ns", "CPU time per unsampled child span", timing=True),
    Metric("wall_ns_per_span", "ns", "the same in wall time"),
)
TARGETS = (
    Target(
        "≤ 0.5x OTel SDK ALWAYS_OFF", "ns_per_span", impls.SCOPETEL, impls.OTEL_SDK, at_most=0.5
    ),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    batch, finish, _ = impls.tree_setup(variant, CHILDREN, sampled=False)
    timing = harness.per_op_ns(batch, CHILDREN, finish=finish, quick=quick)
    return {"ns_per_span": timing.cpu_ns, "wall_ns_per_span": timing.wall_ns}


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
