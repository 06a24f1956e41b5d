"""What the concurrency workloads share: a traced unit of work and a root, per implementation.

scopetel and sentry-sdk decorate the work with their own ``@trace(op=...)``; the
OpenTelemetry SDK wraps it in ``tracer.start_as_current_span`` (what its users write).
After the timed part the wire bytes are read back (:mod:`benchmarks.wire`) to count
the spans whose parent is their run's root.

A process makes a warm-up run (a tenth of the size), then :data:`RUNS` timed runs of
the full size, each under its own root; the least time of those counts (the run
least disturbed by the rest of the machine), and parents are checked in all of them.
"""

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks import harness, impls, wire

RUNS = 3


@dataclass
class Traced:
    """One implementation, set up to trace ``count`` units of work under one root."""

    variant: str
    trace: Callable[[Callable[..., Any]], Callable[..., Any]]
    root: Callable[[], Any]  # a context manager whose value has ``root_id()``
    is_current: Callable[[Any], bool]
    flush: Callable[[], object]
    links: Callable[[], list[wire.SpanLink]]
    sink: impls.WireSink


class _Root:
    def __init__(self, root_id: Callable[[], str]) -> None:
        self.root_id = root_id


def setup(variant: str, count: int) -> Traced:
    """Initialize ``variant`` so that ``count`` spans fit in one transaction."""
    if variant == impls.SCOPETEL:
        import scopetel

        sink = impls.init_scopetel(1.0, keep=True, max_spans=count + 10)
        return _sentry_like(variant, scopetel, sink)
    if variant == impls.SENTRY_SDK:
        import sentry_sdk

        sink = impls.init_sentry(1.0, keep=True, _experiments={"max_spans": count + 10})
        return _sentry_like(variant, sentry_sdk, sink)
    if variant == impls.OTEL_SDK:
        return _otel(variant)
    raise ValueError(f"unknown variant {variant!r}")


def _sentry_like(variant: str, sdk: Any, sink: impls.WireSink) -> Traced:
    @contextmanager
    def root() -> Iterator[_Root]:
        with sdk.start_transaction(name="fan-out", op="bench") as transaction:
            yield _Root(lambda: transaction.span_id)

    def is_current(handle: _Root) -> bool:
        span = sdk.get_current_span()
        return span is not None and span.span_id == handle.root_id()

    return Traced(
        variant,
        sdk.trace(op="task"),
        root,
        is_current,
        lambda: sdk.flush(timeout=30.0),
        lambda: wire.envelope_links(sink.kept),
        sink,
    )


def _otel(variant: str) -> Traced:
    from opentelemetry import trace

    provider, sink = impls.init_otel_sdk(keep=True)
    start = provider.get_tracer("bench").start_as_current_span

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def traced_coroutine(*args: Any, **kwargs: Any) -> Any:
                with start("task"):
                    return await function(*args, **kwargs)

            return traced_coroutine

        @functools.wraps(function)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with start("task"):
                return function(*args, **kwargs)

        return traced

    @contextmanager
    def root() -> Iterator[_Root]:
        with start("fan-out") as span:
            yield _Root(lambda: format(span.get_span_context().span_id, "016x"))

    def is_current(handle: _Root) -> bool:
        span_id = trace.get_current_span().get_span_context().span_id
        return format(span_id, "016x") == handle.root_id()

    links = lambda: wire.otlp_links(sink.kept)  # noqa: E731
    return Traced(variant, decorate, root, is_current, provider.force_flush, links, sink)


def timed_runs(
    traced: Traced, count: int, quick: bool, run: Callable[[int], tuple[harness.Stopwatch, str]]
) -> dict[str, float]:
    """Warm up, then time ``run(count)`` (which returns its watch and root id) RUNS times.

    Returns the least CPU and wall seconds, ``parents_right_pct`` (children of their
    run's root, of every timed unit of work) and ``spans_on_wire`` (per run, roots
    excluded).
    """
    run(max(1, count // 10))
    traced.flush()
    traced.sink.kept.clear()
    runs = 1 if quick else RUNS
    watches, roots = zip(*(run(count) for _ in range(runs)), strict=True)
    links = traced.links()
    right = sum(wire.children_of(root_id, links) for root_id in roots)
    return {
        "cpu_seconds": min(watch.cpu_s for watch in watches),
        "seconds": min(watch.wall_s for watch in watches),
        "parents_right_pct": 100.0 * right / (count * runs),
        "spans_on_wire": sum(1 for link in links if link.span_id not in roots) / runs,
    }
