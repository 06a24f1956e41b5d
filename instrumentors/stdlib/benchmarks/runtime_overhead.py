"""What the runtime instrumentors cost: ``python runtime_overhead.py`` (a minute or so).

Each workload runs plain and instrumented, best of several rounds; the README quotes
the results. Not a test: timings depend on the machine.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from scopetel_instrumentation_stdlib.asyncio_instrumentor import AsyncioInstrumentor
from scopetel_instrumentation_stdlib.logs import LoggingInstrumentor
from scopetel_instrumentation_stdlib.threads import ThreadingInstrumentor

import scopetel

ROUNDS = 7


def timed(workload: Callable[[], object]) -> float:
    start = time.perf_counter()
    workload()
    return time.perf_counter() - start


def best(workload: Callable[[], object]) -> float:
    return min(timed(workload) for _ in range(ROUNDS))


def callbacks(count: int = 200_000, debug: bool = False) -> None:
    """A chain of ``call_soon`` callbacks: the loop's per-callback overhead dominates."""
    loop = asyncio.new_event_loop()
    loop.set_debug(debug)
    remaining = [count]
    done = loop.create_future()

    def step() -> None:
        remaining[0] -= 1
        if remaining[0]:
            loop.call_soon(step)
        else:
            done.set_result(None)

    loop.call_soon(step)
    loop.run_until_complete(done)
    loop.close()


def tasks(count: int = 50_000) -> None:
    async def one() -> None:
        await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(count)))

    asyncio.run(main())


def pool_jobs(count: int = 20_000) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        for job in [pool.submit(int) for _ in range(count)]:
            job.result()


def log_records(count: int = 50_000) -> None:
    logger = logging.getLogger("bench.app")
    for index in range(count):
        logger.info("record %d", index)


def compare(name: str, workload: Callable[[], object], per: int, **instrument: object) -> None:
    """Plain and instrumented rounds alternate (the machine's load drifts); best of each."""
    chosen = instrument.pop("instrumentor")
    plain_rounds, instrumented_rounds = [], []
    for _ in range(ROUNDS):
        plain_rounds.append(timed(workload))
        chosen.instrument(**instrument)  # type: ignore[attr-defined]
        try:
            instrumented_rounds.append(timed(workload))
        finally:
            chosen.uninstrument()  # type: ignore[attr-defined]
    plain, instrumented = min(plain_rounds), min(instrumented_rounds)
    extra_us = (instrumented - plain) / per * 1e6
    print(
        f"{name:52s} plain {plain * 1e3:8.1f} ms  instrumented {instrumented * 1e3:8.1f} ms"
        f"  {instrumented / plain - 1:+7.1%}  {extra_us:+.3f} us each"
    )


def lag_tick() -> None:
    """The cost of one lag sample, recorded into an SDK histogram."""
    from opentelemetry.sdk.metrics import MeterProvider
    from scopetel_instrumentation_stdlib.asyncio_metrics import LagMonitor

    loop = asyncio.new_event_loop()
    histogram = MeterProvider().get_meter("bench").create_histogram("lag")
    monitor = LagMonitor(loop, 0.5, histogram)
    monitor.start()
    count = 100_000
    cost = min(timed(lambda: [monitor._tick() for _ in range(count)]) for _ in range(ROUNDS))
    monitor.stop()
    loop.close()
    print(f"{'one lag sample (timer + histogram.record)':52s} {cost / count * 1e6:.2f} us")


def main() -> None:
    scopetel.init(default_integrations=False)  # no DSN: captures go nowhere
    lag_tick()
    logger = logging.getLogger("bench.app")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    asyncio_default = {"instrumentor": AsyncioInstrumentor()}
    compare("200k call_soon callbacks, asyncio defaults", callbacks, 200_000, **asyncio_default)
    compare(
        "200k callbacks, lag sampled every 1 ms",
        callbacks,
        200_000,
        instrumentor=AsyncioInstrumentor(),
        lag_interval=0.001,
    )
    compare(
        "200k callbacks, slow-callback timing on",
        callbacks,
        200_000,
        instrumentor=AsyncioInstrumentor(),
        slow_callback_threshold=0.1,
    )
    plain, debug = best(callbacks), best(lambda: callbacks(debug=True))
    print(
        f"{'200k callbacks, asyncio debug mode (for comparison)':52s} plain {plain * 1e3:8.1f} ms"
        f"  debug {debug * 1e3:8.1f} ms  {debug / plain - 1:+7.1%}"
    )
    compare("50k tasks, asyncio defaults", tasks, 50_000, instrumentor=AsyncioInstrumentor())
    compare("20k pool jobs (8 threads)", pool_jobs, 20_000, instrumentor=ThreadingInstrumentor())
    compare(
        "50k log records at INFO (breadcrumbs + trace ids)",
        log_records,
        50_000,
        instrumentor=LoggingInstrumentor(),
    )


if __name__ == "__main__":
    main()
