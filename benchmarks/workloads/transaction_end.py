"""Workload: ending a transaction, the cost the thread that ends it pays.

One transaction (a root and 20 children, as a request handler makes) after another;
timed per transaction: the CPU time of the application thread in the root's end
(median and p99 over 3,000 transactions), and the CPU time of the whole process per
transaction (every thread, so building the transaction off the request thread is not
free). ``scopetel`` builds and serializes the transaction in its emitter thread;
``scopetel_inline`` is the same SDK with the emitter bypassed (the transaction built
where its root ends, as before the emitter); ``sentry_sdk`` builds it in the thread.
"""

import statistics
import time
from typing import Any

from benchmarks import harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Ending a transaction (1 root + 20 children) on the request thread"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
INLINE = "scopetel_inline"
CHILDREN = 20
TRANSACTIONS = 3000
VARIANTS = (impls.SCOPETEL, INLINE, impls.SENTRY_SDK)
METRICS = (
    Metric("end_ns", "ns", "application-thread CPU time of the root's end, median", timing=True),
    Metric("end_p99_ns", "ns", "the same, p99"),
    Metric("process_ns_per_tx", "ns", "CPU time of the process per transaction"),
)
TARGETS = (
    Target("≤ 0.25x built in the thread", "end_ns", impls.SCOPETEL, INLINE, at_most=0.25),
    Target(
        "process CPU ≤ 1.1x built in the thread",
        "process_ns_per_tx",
        impls.SCOPETEL,
        INLINE,
        at_most=1.1,
    ),
)


def _setup(variant: str) -> Any:
    if variant == impls.SENTRY_SDK:
        import sentry_sdk as sdk

        impls.init_sentry(1.0)
        return sdk
    if variant == INLINE:  # the emitter's put runs its sink where it is called
        from scopetel._pipeline.emitter import Emitter

        Emitter.put = Emitter._emit  # type: ignore[method-assign]
    import scopetel as sdk

    impls.init_scopetel(1.0)
    return sdk


def measure(variant: str, quick: bool) -> dict[str, Any]:
    sdk = _setup(variant)
    count = 300 if quick else TRANSACTIONS
    ends: list[int] = []
    thread_time = time.thread_time_ns
    for index in range(count + count // 10):  # the first tenth warms up
        transaction = sdk.start_transaction(name="request", op="http.server").__enter__()
        for _ in range(CHILDREN):
            with sdk.start_span(op="db", name="query"):
                pass
        if index == count // 10:
            started = time.process_time_ns()
        before = thread_time()
        transaction.__exit__(None, None, None)
        ends.append(thread_time() - before)
    sdk.flush(timeout=30.0)
    process_ns = time.process_time_ns() - started
    ends = sorted(ends[count // 10 :])
    return {
        "end_ns": statistics.median(ends),
        "end_p99_ns": ends[int(len(ends) * 0.99)],
        "process_ns_per_tx": process_ns / count,
    }


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
