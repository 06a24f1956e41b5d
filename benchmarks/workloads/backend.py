"""Workload 8: a backend that is healthy, slow (2 s per request), answers 429, or 503.

Each run starts its own fake backend (``benchmarks.backend_server``, another
process, 127.0.0.1), makes 500 transactions of 1 root + 5 children (2 ms apart),
then shuts down within a 2 s timeout. Measured: the application's p99 latency per
transaction (root start to root end, which includes building and queueing the
envelope; its CPU time too, which other processes on the machine do not inflate),
the shutdown time, and what became of every item: delivered (answered
2xx), reported in a client report the backend received, still counted in a client
report the SDK could not send before it stopped ("pending"), or unaccounted.
Items are transactions for scopetel (its HttpTransport) and sentry-sdk (its HTTP
transport), spans for the OTel SDK (BatchSpanProcessor + OTLPSpanExporter, which has
no client reports). scopetel shuts down through the function its ``atexit`` hook
runs; sentry-sdk through ``Client.close()``; the OTel SDK through
``TracerProvider.shutdown()``.
"""

import json
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from benchmarks import harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Slow or failing backend"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
SCENARIOS = ("healthy", "slow", "429", "503")
FAULTS = SCENARIOS[1:]
IMPLEMENTATIONS = (impls.SCOPETEL, impls.SENTRY_SDK, impls.OTEL_SDK)
VARIANTS = tuple(f"{impl}-{scenario}" for scenario in SCENARIOS for impl in IMPLEMENTATIONS)
CHILDREN = 5
SHUTDOWN_TIMEOUT = 2.0  # 1 s in --quick runs
Setup = tuple[Callable[[], None], Callable[[], None], Callable[[], int]]
"""A transaction of 1 root + 5 children, the shutdown, and the pending client-report count."""
MAX_ROUNDS = 5  # p99 latency is noisy: as many rounds as the rest
METRICS = (
    Metric("p99_ms", "ms", "p99 application latency per transaction", digits=3),
    Metric("p50_ms", "ms", "median application latency per transaction", digits=3),
    Metric("p99_cpu_ms", "ms", "p99 of the CPU time of the application thread", digits=3),
    Metric("shutdown_s", "s", "time to shut down (timeout 2 s)", digits=2),
    Metric("produced", "", "items made", lower_is_better=False, digits=0),
    Metric("delivered", "", "items the backend accepted", lower_is_better=False, digits=0),
    Metric("reported", "", "items in client reports received", lower_is_better=False, digits=0),
    Metric("pending", "", "items in client reports never sent", digits=0),
    Metric("unaccounted", "", "items neither delivered nor reported nor pending", digits=0),
)
TARGETS = tuple(
    Target(
        f"{scenario}: p99 ≤ 1.2x healthy",
        "p99_ms",
        f"{impls.SCOPETEL}-{scenario}",
        f"{impls.SCOPETEL}-healthy",
        at_most=1.2,
    )
    for scenario in FAULTS
) + tuple(
    target
    for scenario in SCENARIOS
    for target in (
        Target(
            f"{scenario}: shutdown ≤ 2 s timeout (+10%)",
            "shutdown_s",
            f"{impls.SCOPETEL}-{scenario}",
            at_most=SHUTDOWN_TIMEOUT * 1.1,
        ),
        Target(
            f"{scenario}: every undelivered item reported (unaccounted = 0)",
            "unaccounted",
            f"{impls.SCOPETEL}-{scenario}",
            at_most=0,
        ),
    )
)


class Backend:
    """The fake backend in a child process; stopped on exit (or by its own lifetime)."""

    def __init__(self, mode: str, delay: float) -> None:
        command = [sys.executable, "-m", "benchmarks.backend_server", "--mode", mode]
        command += ["--delay", str(delay), "--lifetime", "120"]
        self.process = subprocess.Popen(
            command, cwd=harness.ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"the fake backend did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/stats", timeout=10) as answer:
            result: dict[str, Any] = json.load(answer)
            return result

    def stop(self) -> None:
        try:
            request = urllib.request.Request(self.url + "/quit", data=b"", method="POST")
            urllib.request.urlopen(request, timeout=5).close()
            self.process.wait(timeout=5)
        except Exception:
            self.process.kill()
            self.process.wait(timeout=5)


def _scopetel(url: str, timeout: float) -> Setup:
    import scopetel
    from scopetel import _client as _state
    from scopetel._setup import init as _setup

    dsn = url.replace("http://", "http://public@") + "/42"
    scopetel.init(dsn=dsn, traces_sample_rate=1.0, shutdown_timeout=timeout)
    client = _state.get_client()
    assert client is not None
    transport = client.transport

    def pending() -> int:
        counts = transport.client_reports.counts()
        return sum(n for (_, category), n in counts.items() if category == "transaction")

    return impls.scopetel_tree(CHILDREN), _setup.shutdown, pending


def _sentry(url: str, timeout: float) -> Setup:
    import sentry_sdk

    dsn = url.replace("http://", "http://public@") + "/42"
    sentry_sdk.init(dsn=dsn, traces_sample_rate=1.0, shutdown_timeout=timeout)
    client = sentry_sdk.get_client()
    transport = client.transport

    def pending() -> int:
        counts = dict(getattr(transport, "_discarded_events", {}))
        return sum(n for (category, _), n in counts.items() if category == "transaction")

    return impls.sentry_tree(CHILDREN), client.close, pending


def _otel(url: str, timeout: float) -> Setup:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    exporter = OTLPSpanExporter(endpoint=url + "/v1/traces", timeout=timeout)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, export_timeout_millis=timeout * 1000))
    trace.set_tracer_provider(provider)
    batch = impls.otel_tree(CHILDREN, provider.get_tracer("bench"))
    return batch, provider.shutdown, lambda: 0


def measure(variant: str, quick: bool) -> dict[str, Any]:
    impl, scenario = variant.rsplit("-", 1)
    count = 40 if quick else 500
    backend = Backend(scenario, delay=0.5 if quick else 2.0)
    timeout = 1.0 if quick else SHUTDOWN_TIMEOUT
    try:
        setup = {impls.SCOPETEL: _scopetel, impls.SENTRY_SDK: _sentry, impls.OTEL_SDK: _otel}
        batch, shutdown, pending = setup[impl](backend.url, timeout)
        latencies: list[float] = []
        cpu_times: list[float] = []
        for _ in range(count):
            started, cpu_started = time.perf_counter(), time.thread_time()
            batch()
            latencies.append(time.perf_counter() - started)
            cpu_times.append(time.thread_time() - cpu_started)
            time.sleep(0.002)
        started = time.perf_counter()
        shutdown()
        shutdown_s = time.perf_counter() - started
        unsent = pending()  # now, as the process would exit: stopping the backend fails requests
        time.sleep(0.2)  # let the backend finish reading what was sent last
        stats = backend.stats()
    finally:
        backend.stop()
    result: dict[str, Any] = {
        "p99_ms": _p99_ms(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_cpu_ms": _p99_ms(cpu_times),
        "shutdown_s": shutdown_s,
        "info": {"requests": json.dumps(stats["requests"], sort_keys=True)},
    }
    result.update(_accounting(impl, count, stats, unsent))
    return result


def _p99_ms(seconds: list[float]) -> float:
    return 1000 * statistics.quantiles(seconds, n=100, method="inclusive")[98]


def _accounting(impl: str, count: int, stats: dict[str, Any], pending: int) -> dict[str, int]:
    if impl == impls.OTEL_SDK:
        produced = count * (CHILDREN + 1)
        delivered = int(stats["delivered"].get("otlp_span", 0))
        reported = 0
    else:
        produced = count
        delivered = int(stats["delivered"].get("transaction", 0))
        reported = sum(
            int(n) for key, n in stats["reported"].items() if key.endswith(":transaction")
        )
    return {
        "produced": produced,
        "delivered": delivered,
        "reported": reported,
        "pending": pending,
        "unaccounted": produced - delivered - reported - pending,
    }


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
