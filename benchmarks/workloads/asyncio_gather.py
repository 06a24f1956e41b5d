"""Workload 6: 10,000 ``@trace``d coroutines in one ``asyncio.gather`` under a root.

Timed from entering the root to the end of the flush (everything in wire bytes).
Then: the share of the 10,000 spans whose parent is the root (sentry-sdk, whose
active span lives on a shared scope, makes a chain), and whether the root is the
current span again right after the gather.
"""

import asyncio
import time
from typing import Any

from benchmarks import concurrency, harness, impls
from benchmarks.harness import Metric, Target

TITLE = "asyncio: 10,000 traced tasks in one gather"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
VARIANTS = (impls.SCOPETEL, impls.OTEL_SDK, impls.SENTRY_SDK)
METRICS = (
    Metric("seconds", "s", "root + gather + flush", digits=3, timing=True),
    Metric("parents_right_pct", "%", "spans whose parent is the root", lower_is_better=False),
    Metric("spans_on_wire", "", "spans emitted besides the root", lower_is_better=False, digits=0),
    Metric("root_current_after", "", "1 if the root is current after the gather", False, 0),
)
TARGETS = (
    Target("100% parents right", "parents_right_pct", impls.SCOPETEL, at_least=100.0),
    Target("time ≤ 1.2x OTel SDK", "seconds", impls.SCOPETEL, impls.OTEL_SDK, at_most=1.2),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    count = 1_000 if quick else 10_000
    traced = concurrency.setup(variant, count)

    @traced.trace
    async def work(i: int) -> int:
        await asyncio.sleep(0)
        return i

    async def fan_out() -> tuple[float, str, bool]:
        started = time.perf_counter()
        with traced.root() as root:
            await asyncio.gather(*(work(i) for i in range(count)))
            current = traced.is_current(root)
        traced.flush()
        return time.perf_counter() - started, root.root_id(), current

    seconds, root_id, current = asyncio.run(fan_out())
    result: dict[str, Any] = {"seconds": seconds, "root_current_after": int(current)}
    result.update(concurrency.parent_metrics(traced, root_id, count))
    return result


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
