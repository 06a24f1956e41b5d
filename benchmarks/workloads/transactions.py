"""Workload 4: transactions of 1 root + 20 children per second, to wire bytes.

scopetel and sentry-sdk: one transaction envelope per root, serialized in the
transport. The OTel SDK (BatchSpanProcessor, OTLP-encoding exporter, flushed at the
end of each timed repeat) is the second baseline.
"""

from typing import Any

from benchmarks import harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Transactions (1 root + 20 children) per second"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
CHILDREN = 20
VARIANTS = (impls.SCOPETEL, impls.SENTRY_SDK, impls.OTEL_SDK)
METRICS = (
    Metric("tx_per_s", "/s", "transactions per CPU second", False, 0, timing=True),
    Metric("wall_tx_per_s", "/s", "the same in wall time", lower_is_better=False, digits=0),
    Metric("bytes_per_tx", "B", "wire bytes per transaction", digits=0),
)
TARGETS = (
    Target("≥ 3x sentry-sdk", "tx_per_s", impls.SCOPETEL, impls.SENTRY_SDK, at_least=3.0),
    Target("≥ 1.5x OTel SDK (OTLP)", "tx_per_s", impls.SCOPETEL, impls.OTEL_SDK, at_least=1.5),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    batch, finish, sink = impls.tree_setup(variant, CHILDREN, sampled=True)
    timing = harness.per_op_ns(batch, 1, finish=finish, quick=quick)
    finish()
    transactions = sink.spans / (CHILDREN + 1) if sink.spans else sink.payloads
    return {
        "tx_per_s": 1e9 / timing.cpu_ns,
        "wall_tx_per_s": 1e9 / timing.wall_ns,
        "bytes_per_tx": sink.total_bytes / transactions,
    }


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
