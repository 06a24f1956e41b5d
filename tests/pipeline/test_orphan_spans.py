"""The orphan-span rule in the three Sentry pipelines (segments, span streaming, the
plain-SDK exporter's resolver), with the real OpenTelemetry SDK: local roots that are no
entry point stay out of Sentry and still reach the other exporters."""

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from scopetel._pipeline.records import CompactSpan
from scopetel._pipeline.segment_resolver import SegmentResolver
from scopetel._pipeline.segments import Segment, SegmentProcessor
from scopetel._pipeline.span_stream import SpanStreamProcessor, StreamedSpan
from scopetel._tracing.sampler import TracesSampler

REDIS = "opentelemetry.instrumentation.redis"
ASYNCIO = "opentelemetry.instrumentation.asyncio"


class Pipelines:
    """One provider feeding a segment processor, a stream processor and an OTLP stand-in."""

    def __init__(self, send_orphans: bool = False) -> None:
        self.segments: list[Segment] = []
        self.streamed: list[StreamedSpan] = []
        self.drops: list[tuple[str, str, int]] = []
        self.segment_processor = SegmentProcessor(
            self.segments.append,
            lambda *drop: self.drops.append(drop),
            send_orphans=send_orphans,
        )
        self.stream_processor = SpanStreamProcessor(
            self.streamed.extend, batch_size=1, send_orphans=send_orphans
        )
        self.otlp = InMemorySpanExporter()
        self.provider = TracerProvider(shutdown_on_exit=False)
        for processor in (
            self.segment_processor,
            self.stream_processor,
            SimpleSpanProcessor(self.otlp),
        ):
            self.provider.add_span_processor(processor)

    def tracer(self, name: str) -> trace.Tracer:
        return self.provider.get_tracer(name)

    def roots(self) -> list[str]:
        return [segment.root.name for segment in self.segments]

    def streamed_names(self) -> list[str]:
        return [span.name for span, _, _ in self.streamed]

    def exported(self) -> list[str]:
        return [span.name for span in self.otlp.get_finished_spans()]


@pytest.fixture
def pipelines() -> Iterator[Pipelines]:
    found = Pipelines()
    yield found
    found.provider.shutdown()


def _remote(sampled: bool = True) -> Context:
    parent = SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=TraceFlags(int(sampled)))
    return trace.set_span_in_context(NonRecordingSpan(parent))


def test_client_and_producer_roots_stay_out_of_sentry(pipelines: Pipelines) -> None:
    redis = pipelines.tracer(REDIS)
    with redis.start_as_current_span("BRPOP", kind=SpanKind.CLIENT):
        with redis.start_as_current_span("nested", kind=SpanKind.CLIENT):
            pass
    with pipelines.tracer("app").start_as_current_span("apply_async", kind=SpanKind.PRODUCER):
        pass
    with pipelines.tracer(ASYNCIO).start_as_current_span("asyncio coro-poll"):
        pass
    assert pipelines.roots() == []
    assert pipelines.streamed_names() == []
    assert pipelines.drops == []  # never Sentry data: not counted as dropped
    assert pipelines.segment_processor.is_idle()  # nothing buffered for them
    assert sorted(pipelines.exported()) == [
        "BRPOP",
        "apply_async",
        "asyncio coro-poll",
        "nested",
    ]


def test_entry_points_make_transactions(pipelines: Pipelines) -> None:
    redis = pipelines.tracer(REDIS)
    with pipelines.tracer("any").start_as_current_span("GET /", kind=SpanKind.SERVER):
        with redis.start_as_current_span("GET", kind=SpanKind.CLIENT):
            pass
    with pipelines.tracer("worker").start_as_current_span("tasks.add", kind=SpanKind.CONSUMER):
        pass
    with redis.start_as_current_span("continued", context=_remote(), kind=SpanKind.CLIENT):
        pass
    with pipelines.tracer("scopetel").start_as_current_span("manual"):
        pass
    with pipelines.tracer("myapp.jobs").start_as_current_span("nightly job"):
        pass
    assert pipelines.roots() == ["GET /", "tasks.add", "continued", "manual", "nightly job"]
    assert [len(segment.spans) for segment in pipelines.segments] == [1, 0, 0, 0, 0]
    assert set(pipelines.streamed_names()) == {
        "GET /",
        "GET",
        "tasks.add",
        "continued",
        "manual",
        "nightly job",
    }


def test_a_child_started_after_its_orphan_parent_ended_stays_out(pipelines: Pipelines) -> None:
    tracer = pipelines.tracer(REDIS)
    parent = tracer.start_span("connect", kind=SpanKind.CLIENT)
    parent.end()
    with tracer.start_as_current_span("late", context=trace.set_span_in_context(parent)):
        pass
    assert pipelines.roots() == []
    assert pipelines.streamed_names() == []
    assert pipelines.exported() == ["connect", "late"]


def test_a_late_child_of_a_transaction_is_still_a_follow_up(pipelines: Pipelines) -> None:
    tracer = pipelines.tracer("opentelemetry.instrumentation.wsgi")
    root = tracer.start_span("GET /", kind=SpanKind.SERVER)
    root.end()
    with tracer.start_as_current_span("late", context=trace.set_span_in_context(root)):
        pass
    assert pipelines.roots() == ["GET /", "late"]
    assert pipelines.segments[1].follow_up


def test_orphan_spans_option_sends_them_as_before() -> None:
    pipelines = Pipelines(send_orphans=True)
    try:
        with pipelines.tracer(REDIS).start_as_current_span("PING", kind=SpanKind.CLIENT):
            pass
        assert pipelines.roots() == ["PING"]
        assert pipelines.streamed_names() == ["PING"]
    finally:
        pipelines.provider.shutdown()


def _compact(
    provider: TracerProvider, name: str, kind: SpanKind, parent: Any = None, scope: str = REDIS
) -> tuple[CompactSpan, Any]:
    context = None if parent is None else trace.set_span_in_context(parent)
    span = provider.get_tracer(scope).start_span(name, context=context, kind=kind)
    span.end()
    compact = CompactSpan.from_readable(span)  # type: ignore[arg-type]
    assert compact is not None
    return compact, span


@pytest.mark.parametrize("send_orphans", [False, True])
def test_exporter_resolver_leaves_orphans_out(send_orphans: bool) -> None:
    """Children arrive first (they end first), in another export batch."""
    provider = TracerProvider(shutdown_on_exit=False)
    root, root_span = _compact(provider, "SELECT", SpanKind.CLIENT)
    child, _ = _compact(provider, "fetch", SpanKind.INTERNAL, parent=root_span)
    server, server_span = _compact(provider, "GET /", SpanKind.SERVER, scope="web")
    below, _ = _compact(provider, "SELECT", SpanKind.CLIENT, parent=server_span)
    resolver = SegmentResolver(send_orphans=send_orphans)
    first = resolver.add([child, below])
    second = resolver.add([root, server])
    placed = [(span.name, segment_name) for span, _, segment_name in first + second]
    expected = [("GET /", "GET /"), ("SELECT", "GET /")]
    if send_orphans:
        expected += [("SELECT", "SELECT"), ("fetch", "SELECT")]
    assert sorted(placed) == sorted(expected)
    assert resolver.waiting == 0


@pytest.mark.parametrize("count_client_roots", [False, True])
def test_unsampled_orphans_are_not_reported_as_sampled_out(count_client_roots: bool) -> None:
    dropped: list[str] = []
    provider = TracerProvider(
        sampler=TracesSampler(
            0.0, on_root_dropped=lambda: dropped.append("x"), count_client_roots=count_client_roots
        ),
        shutdown_on_exit=False,
    )
    redis = provider.get_tracer(REDIS)
    redis.start_span("PING", kind=SpanKind.CLIENT).end()
    redis.start_span("apply_async", kind=SpanKind.PRODUCER).end()
    assert len(dropped) == (2 if count_client_roots else 0)
    redis.start_span("GET", context=_remote(sampled=False), kind=SpanKind.CLIENT).end()
    provider.get_tracer("web").start_span("GET /", kind=SpanKind.SERVER).end()
    assert len(dropped) == (4 if count_client_roots else 2)
