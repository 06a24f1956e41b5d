"""Workload 5: memory per buffered finished span, 100,000 children under one open root.

Growth of the resident set size (``/proc/self/statm``; ``tracemalloc`` where there is
no ``/proc``) from just before the children are made (the root and 100 warm-up
children already exist) to just after, with the root still open, divided by the
number of children; 100 + 99,900 children in all (scopetel's ``max_spans`` is at
most 100,000). RSS and tracemalloc agree within a few percent here, and RSS is five
times faster to run. scopetel buffers them in its segment
processor (``max_spans`` raised so none is dropped); the OTel SDK keeps each finished
``ReadableSpan`` through a ``SimpleSpanProcessor`` into a list; sentry-sdk keeps them
in its open transaction (``_experiments={"max_spans": ...}`` raised). After measuring,
the root ends and the spans that reached the wire are counted.
"""

import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import harness, impls, wire
from benchmarks.harness import Metric, Target

TITLE = "Memory per buffered finished span"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
VARIANTS = (impls.SCOPETEL, impls.OTEL_SDK, impls.SENTRY_SDK)
METRICS = (
    Metric("bytes_per_span", "B", "heap growth per buffered span", digits=0),
    Metric("spans_on_wire", "", "children emitted, warm-up included", False, digits=0),
)
TARGETS = (Target("≤ 400 B per span", "bytes_per_span", impls.SCOPETEL, at_most=400),)
MAX_ROUNDS = 2  # deterministic to a few percent, and the slowest workload
WARMUP = 100
STATM = Path("/proc/self/statm")
PAGE = 4096


def _memory() -> int:
    if STATM.exists():
        return int(STATM.read_text().split()[1]) * PAGE
    return tracemalloc.get_traced_memory()[0]


def _measure_children(make_child: Callable[[], None], count: int) -> float:
    for _ in range(WARMUP):
        make_child()
    if not STATM.exists():
        tracemalloc.start()
    gc.collect()
    before = _memory()
    for _ in range(count):
        make_child()
    gc.collect()
    after = _memory()
    tracemalloc.stop()
    return (after - before) / count


def measure(variant: str, quick: bool) -> dict[str, Any]:
    count = 10_000 if quick else 100_000 - WARMUP
    started = time.perf_counter()
    if variant == impls.OTEL_SDK:
        per_span, on_wire = _otel(count)
    else:
        sdk: Any
        if variant == impls.SCOPETEL:
            import scopetel as sdk

            sink = impls.init_scopetel(1.0, keep=True, max_spans=count + WARMUP)
        else:
            import sentry_sdk as sdk

            sink = impls.init_sentry(1.0, keep=True, _experiments={"max_spans": count + WARMUP})
        start_span = sdk.start_span

        def child() -> None:
            with start_span(op="db", name="query"):
                pass

        with sdk.start_transaction(name="request", op="bench") as root:
            per_span = _measure_children(child, count)
        sdk.flush(timeout=30.0)
        on_wire = wire.children_of(root.span_id, wire.envelope_links(sink.kept))
    return {
        "bytes_per_span": per_span,
        "spans_on_wire": on_wire,
        "info": {"seconds": f"{time.perf_counter() - started:.1f}"},
    }


def _otel(count: int) -> tuple[float, int]:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    kept: list[Any] = []

    class KeepingExporter(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            kept.extend(spans)
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(KeepingExporter()))
    trace.set_tracer_provider(provider)
    start = provider.get_tracer("bench").start_as_current_span

    def child() -> None:
        with start("query", attributes=impls.CHILD_ATTRIBUTES):
            pass

    with start("request"):
        per_span = _measure_children(child, count)
    return per_span, len(kept) - 1  # all but the root


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
