"""Workload 7: 10,000 traced calls through an 8-thread pool with a naive ``submit``.

Under one root, ``ThreadPoolExecutor(8).submit(work, i)`` for each call, with no
explicit context passing; timed (process CPU time, and wall time) from entering the
root to the end of the flush, the least of 3 runs per process. A parent is right
when it is the root. scopetel's result depends on a threading instrumentor being
installed (``scopetel.init()`` enables every installed one; see the run's notes).
sentry-sdk's threading integration copies the scope when a pool thread starts.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks import concurrency, harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Threads: 10,000 traced calls through an 8-thread pool"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
VARIANTS = (impls.SCOPETEL, impls.OTEL_SDK, impls.SENTRY_SDK)
METRICS = (
    Metric("cpu_seconds", "s", "CPU time: root + submit/result + flush", digits=3, timing=True),
    Metric("seconds", "s", "the same in wall time", digits=3),
    Metric("parents_right_pct", "%", "spans whose parent is the root", lower_is_better=False),
    Metric("spans_on_wire", "", "spans emitted besides the root", lower_is_better=False, digits=0),
)
TARGETS = (
    Target("100% parents right", "parents_right_pct", impls.SCOPETEL, at_least=100.0),
    Target("time ≤ 1.2x OTel SDK", "cpu_seconds", impls.SCOPETEL, impls.OTEL_SDK, at_most=1.2),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    count = 1_000 if quick else 10_000
    traced = concurrency.setup(variant, count)

    @traced.trace
    def work(i: int) -> int:
        return i

    def fan_out(size: int) -> tuple[harness.Stopwatch, str]:
        with harness.Stopwatch() as watch:
            with traced.root() as root, ThreadPoolExecutor(max_workers=8) as pool:
                for future in [pool.submit(work, i) for i in range(size)]:
                    future.result()
            traced.flush()
        return watch, root.root_id()

    result: dict[str, Any] = concurrency.timed_runs(traced, count, quick, fan_out)
    result["info"] = _instrumentors(variant)
    return result


def _instrumentors(variant: str) -> dict[str, str]:
    if variant != impls.SCOPETEL:
        return {}
    from scopetel._setup.integrations import scopetel_entry_points

    names = [entry_point.name for entry_point in scopetel_entry_points()]
    return {"scopetel instrumentors installed": ", ".join(names) or "none"}


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
