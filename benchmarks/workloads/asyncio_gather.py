"""Workload 6: 10,000 ``@trace``d coroutines in one ``asyncio.gather`` under a root.

Timed (process CPU time, and wall time) from entering the root to the end of the
flush (everything in wire bytes); the least of 3 runs per process (see
``benchmarks.concurrency``). Then: the share of the spans whose parent is the root
(sentry-sdk, whose active span lives on a shared scope, makes a chain), and whether
the root is the current span again right after each gather.
"""

import asyncio
from typing import Any

from benchmarks import concurrency, harness, impls
from benchmarks.harness import Metric, Target

TITLE = "asyncio: 10,000 traced tasks in one gather"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
VARIANTS = (impls.SCOPETEL, impls.OTEL_SDK, impls.SENTRY_SDK)
METRICS = (
    Metric("cpu_seconds", "s", "CPU time: root + gather + flush", digits=3, timing=True),
    Metric("seconds", "s", "the same in wall time", digits=3),
    Metric("parents_right_pct", "%", "spans whose parent is the root", lower_is_better=False),
    Metric("spans_on_wire", "", "spans emitted besides the root", lower_is_better=False, digits=0),
    Metric("root_current_after", "", "1 if the root is current after every gather", False, 0),
)
TARGETS = (
    Target("100% parents right", "parents_right_pct", impls.SCOPETEL, at_least=100.0),
    Target("time ≤ 1.2x OTel SDK", "cpu_seconds", impls.SCOPETEL, impls.OTEL_SDK, at_most=1.2),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    count = 1_000 if quick else 10_000
    traced = concurrency.setup(variant, count)
    current_after: list[bool] = []

    @traced.trace
    async def work(i: int) -> int:
        await asyncio.sleep(0)
        return i

    async def fan_out(size: int) -> tuple[harness.Stopwatch, str]:
        with harness.Stopwatch() as watch:
            with traced.root() as root:
                await asyncio.gather(*(work(i) for i in range(size)))
                current_after.append(traced.is_current(root))
            traced.flush()
        return watch, root.root_id()

    result: dict[str, Any] = concurrency.timed_runs(
        traced, count, quick, lambda size: asyncio.run(fan_out(size))
    )
    result["root_current_after"] = int(all(current_after))
    return result


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
