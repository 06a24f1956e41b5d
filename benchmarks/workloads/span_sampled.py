"""Workload 1: a sampled child span started and ended under a root, to wire bytes.

Each batch is one root with 100 children entered as ``with`` blocks; the time per
child includes its share of the root and of turning everything into wire bytes
(envelope bytes, or OTLP protobuf bytes via the BatchSpanProcessor, flushed at the
end of each timed repeat).
"""

from typing import Any

from benchmarks import harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Sampled child span, amortized to wire bytes"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
CHILDREN = 100
VARIANTS = (impls.SCOPETEL, impls.OTEL_SDK, impls.SENTRY_SDK)
METRICS = (
    Metric("ns_per_span", "ns", "CPU time per child span, start to wire bytes", timing=True),
    Metric("wall_ns_per_span", "ns", "the same in wall time"),
    Metric("bytes_per_span", "B", "wire bytes per child span", digits=0),
)
TARGETS = (
    Target("≤ 1.25x OTel SDK + BSP", "ns_per_span", impls.SCOPETEL, impls.OTEL_SDK, at_most=1.25),
    Target("≤ 0.25x sentry-sdk", "ns_per_span", impls.SCOPETEL, impls.SENTRY_SDK, at_most=0.25),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    batch, finish, sink = impls.tree_setup(variant, CHILDREN, sampled=True)
    timing = harness.per_op_ns(batch, CHILDREN, finish=finish, quick=quick)
    finish()
    spans_made = sink.payloads * (CHILDREN + 1) if sink.spans == 0 else sink.spans
    return {
        "ns_per_span": timing.cpu_ns,
        "wall_ns_per_span": timing.wall_ns,
        "bytes_per_span": sink.total_bytes / spans_made,
        "info": {"wire payloads": str(sink.payloads), "lost": str(sink.lost or "none")},
    }


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
