"""The segment processor and the span stream processor, with the real OTel SDK."""

import gc
import json
import logging
import os
import random
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    Tracer,
)

import scopetel
from scopetel._context.keys import CURRENT_SCOPE, DSC, ISOLATION_SCOPE
from scopetel._context.scope import Scope
from scopetel._internal_errors import raise_internal_errors
from scopetel._pipeline.mapping import (
    measurements,
    tags,
    to_span_v2,
    to_trace_context,
    transaction_name_and_source,
)
from scopetel._pipeline.segments import DROP_REASON, Segment, SegmentProcessor
from scopetel._pipeline.span_entries import to_transaction_span
from scopetel._pipeline.span_stream import SpanStreamProcessor, StreamedSpan
from scopetel._semconv import sentry_attributes as attrs
from tests.support.relay import assert_valid_event


class Recorder:
    """Sink and on_drop of a processor under test."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.drops: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()

    def sink(self, segment: Segment) -> None:
        with self._lock:
            self.segments.append(segment)

    def on_drop(self, reason: str, category: str, quantity: int) -> None:
        with self._lock:
            self.drops.append((reason, category, quantity))

    def dropped(self, category: str = "span") -> int:
        return sum(n for _, kind, n in self.drops if kind == category)

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.segments) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.segments) >= count, self.segments


Setup = Callable[..., tuple[Tracer, SegmentProcessor, Recorder]]


@pytest.fixture
def setup() -> Iterator[Setup]:
    providers: list[TracerProvider] = []

    def make(**options: Any) -> tuple[Tracer, SegmentProcessor, Recorder]:
        recorder = Recorder()
        processor = SegmentProcessor(recorder.sink, recorder.on_drop, **options)
        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(processor)
        providers.append(provider)
        return provider.get_tracer("scopetel"), processor, recorder

    yield make
    for provider in providers:
        provider.shutdown()


def _remote_parent(sampled: bool = True) -> otel_context.Context:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    parent = SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(parent))


def _names(segment: Segment) -> list[str]:
    return [span.name for span in segment.spans]


def test_segment_with_nested_children(setup: Setup) -> None:
    tracer, _, recorder = setup()
    with tracer.start_as_current_span("root") as root:
        with tracer.start_as_current_span("a"):
            with tracer.start_as_current_span("a1"):
                pass
        with tracer.start_as_current_span("b"):
            pass
    (segment,) = recorder.segments
    assert segment.root.name == "root"
    assert segment.root.span_id == root.get_span_context().span_id
    assert _names(segment) == ["a1", "a", "b"]
    assert (segment.dropped_spans, segment.open_children_at_emit) == (0, 0)
    assert not segment.follow_up
    assert recorder.drops == []


def _tags(scope: object) -> dict[str, object]:
    assert isinstance(scope, Scope)
    return dict(scope._data.tags)


def test_scope_values_at_start_and_end(setup: Setup) -> None:
    tracer, _, recorder = setup()
    cur0, iso0, cur1 = Scope("current"), Scope("isolation"), Scope("current")
    for scope, name in ((cur0, "cur0"), (iso0, "iso0"), (cur1, "cur1")):
        scope.set_tag("scope", name)
    start = otel_context.get_current()
    for key, value in ((CURRENT_SCOPE, cur0), (ISOLATION_SCOPE, iso0), (DSC, "dsc0")):
        start = otel_context.set_value(key, value, start)
    root = tracer.start_span("root", context=start)
    token = otel_context.attach(otel_context.set_value(CURRENT_SCOPE, cur1))
    try:
        root.end()
    finally:
        otel_context.detach(token)
    cur0.set_tag("scope", "changed after the end")
    (segment,) = recorder.segments
    # snapshots of the scopes as they were when the segment was emitted
    assert _tags(segment.at_start.current_scope) == {"scope": "cur0"}
    assert _tags(segment.at_start.isolation_scope) == {"scope": "iso0"}
    assert segment.at_start.dsc == "dsc0"
    assert _tags(segment.at_end.current_scope) == {"scope": "cur1"}
    # outside any isolation_scope() block: the process-wide one, as errors get it
    process_wide = scopetel.get_isolation_scope()
    assert segment.at_end.isolation_scope is not process_wide
    assert _tags(segment.at_end.isolation_scope) == _tags(process_wide)


def test_remote_parent_starts_its_own_segment(setup: Setup) -> None:
    tracer, _, recorder = setup()
    with tracer.start_as_current_span("outer"):
        with tracer.start_as_current_span("server", context=_remote_parent()):
            with tracer.start_as_current_span("inner"):
                pass
    server, outer = recorder.segments
    assert (server.root.name, _names(server)) == ("server", ["inner"])
    assert server.root.parent_is_remote and server.root.is_local_root
    assert to_trace_context(server.root)["parent_span_id"] == f"{0xDEF:016x}"
    assert (outer.root.name, outer.spans) == ("outer", [])


def test_child_ending_after_root_in_another_thread_is_included(setup: Setup) -> None:
    tracer, _, recorder = setup()
    started = threading.Event()
    release = threading.Event()

    def background(parent: otel_context.Context) -> None:
        with tracer.start_as_current_span("background", context=parent):
            started.set()
            release.wait(5)

    with tracer.start_as_current_span("root"):
        worker = threading.Thread(target=background, args=(otel_context.get_current(),))
        worker.start()
        started.wait(5)
    assert recorder.segments == []  # waiting for the open child
    release.set()
    worker.join(5)
    (segment,) = recorder.segments
    assert _names(segment) == ["background"]
    assert segment.open_children_at_emit == 0


def test_late_children_timeout_emits_with_open_count_then_follow_up(setup: Setup) -> None:
    tracer, _, recorder = setup(late_children_timeout=0.1)
    with scopetel.isolation_scope():
        scopetel.set_tag("request", "r1")
        with tracer.start_as_current_span("root"):
            body = tracer.start_span("streamed body")
            with tracer.start_as_current_span("done"):
                pass
    recorder.wait_for(1)
    (segment,) = recorder.segments
    assert (_names(segment), segment.open_children_at_emit) == (["done"], 1)
    with trace.use_span(body, end_on_exit=True):
        with tracer.start_as_current_span("chunk"):
            pass
    follow_up = recorder.segments[1]
    assert follow_up.follow_up
    assert (follow_up.root.name, _names(follow_up)) == ("streamed body", ["chunk"])
    assert follow_up.root.parent_span_id == segment.root.span_id
    assert _tags(follow_up.at_start.isolation_scope) == {"request": "r1"}
    assert _tags(segment.at_start.isolation_scope) == {"request": "r1"}
    assert recorder.drops == []


def test_span_starting_after_its_segment_was_emitted_is_a_follow_up(setup: Setup) -> None:
    tracer, _, recorder = setup()
    with tracer.start_as_current_span("root") as root:
        pass
    with tracer.start_as_current_span("late", context=trace.set_span_in_context(root)):
        pass
    first, late = recorder.segments
    assert late.follow_up and late.root.parent_span_id == first.root.span_id
    assert not late.root.is_local_root


def test_span_cap_counts_dropped_spans(setup: Setup) -> None:
    tracer, _, recorder = setup()
    with tracer.start_as_current_span("root"):
        for index in range(10_000):
            with tracer.start_as_current_span(f"child {index}"):
                pass
    (segment,) = recorder.segments
    assert len(segment.spans) == 1000
    assert segment.dropped_spans == 9000
    assert recorder.dropped("span") == 9000
    assert {reason for reason, _, _ in recorder.drops} == {DROP_REASON}
    assert recorder.dropped("transaction") == 0


def test_memory_per_buffered_span_is_bounded(setup: Setup) -> None:
    tracer, _, recorder = setup(max_spans_per_segment=20_000)
    count = 10_000
    root = tracer.start_span("root")
    parent = trace.set_span_in_context(root)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index in range(count):
            with tracer.start_as_current_span(
                "SELECT",
                context=parent,
                kind=SpanKind.CLIENT,
                attributes={
                    "db.system": "postgresql",
                    "db.statement": f"SELECT * FROM users WHERE id = {index}",
                    "db.name": "app",
                    "net.peer.name": "db.internal",
                    "net.peer.port": 5432,
                },
            ):
                pass
        gc.collect()
        per_span = (tracemalloc.get_traced_memory()[0] - before) / count
    finally:
        tracemalloc.stop()
    print(f"bytes per buffered span: {per_span:.0f}")
    assert per_span <= 1024
    root.end()
    assert len(recorder.segments[0].spans) == count


def test_force_flush_emits_ended_roots_even_with_open_children(setup: Setup) -> None:
    tracer, processor, recorder = setup()
    open_root = tracer.start_span("still running")
    with trace.use_span(open_root):
        with tracer.start_as_current_span("inside open root"):
            pass
    with tracer.start_as_current_span("root"):
        child = tracer.start_span("open child")
    assert recorder.segments == []
    assert processor.force_flush(1000) is True
    (segment,) = recorder.segments
    assert (segment.root.name, segment.open_children_at_emit) == ("root", 1)
    child.end()
    assert recorder.segments[1].root.name == "open child"
    open_root.end()
    assert recorder.segments[2].root.name == "still running"
    assert recorder.drops == []


def test_shutdown_emits_pending_and_counts_what_has_no_root(setup: Setup) -> None:
    tracer, processor, recorder = setup()
    with tracer.start_as_current_span("root"):
        child = tracer.start_span("open child")
    never_ended = tracer.start_span("never ended")
    with trace.use_span(never_ended):
        with tracer.start_as_current_span("orphan"):
            pass
    processor.shutdown()
    (segment,) = recorder.segments
    assert (segment.root.name, segment.open_children_at_emit) == ("root", 1)
    assert recorder.dropped("span") == 1  # "orphan": its root never ended
    child.end()
    never_ended.end()
    assert len(recorder.segments) == 1
    processor.shutdown()  # idempotent


def test_max_open_segments_counts_refused_segments(setup: Setup) -> None:
    tracer, _, recorder = setup(max_open_segments=1)
    first = tracer.start_span("first")
    with tracer.start_as_current_span("refused"):
        with tracer.start_as_current_span("refused child"):
            pass
    first.end()
    assert [segment.root.name for segment in recorder.segments] == ["first"]
    assert recorder.dropped("span") == 2
    assert recorder.dropped("transaction") == 1


def test_max_segment_age_drops_spans_of_a_root_that_never_ends(setup: Setup) -> None:
    tracer, _, recorder = setup(max_segment_age=0.1)
    root = tracer.start_span("leaked")
    with trace.use_span(root):
        with tracer.start_as_current_span("child"):
            pass
    deadline = time.monotonic() + 5
    while not recorder.drops and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recorder.dropped("span") == 1
    root.end()  # forgotten: counted, not emitted
    assert recorder.segments == []
    assert (recorder.dropped("span"), recorder.dropped("transaction")) == (2, 1)


def test_a_root_leaked_while_the_timer_sleeps_idle_is_still_dropped_at_its_age(
    setup: Setup,
) -> None:
    """Opening a segment does not wake the timer thread (that cost every request a GIL
    hand-over): idle, it sleeps ``max_segment_age`` at most, then finds the segment."""
    tracer, _, recorder = setup(max_segment_age=0.3)
    with tracer.start_as_current_span("finished"):
        pass
    recorder.wait_for(1)
    time.sleep(0.1)  # the timer thread is now asleep with nothing pending
    opened = time.monotonic()
    root = tracer.start_span("leaked")
    with trace.use_span(root):
        with tracer.start_as_current_span("child"):
            pass
    deadline = opened + 5
    while not recorder.drops and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recorder.dropped("span") == 1
    assert 0.3 <= time.monotonic() - opened < 2.0


def test_one_timer_thread_for_many_waiting_segments(setup: Setup) -> None:
    tracer, _, recorder = setup(late_children_timeout=0.05)
    before = set(threading.enumerate())  # other processors may have timer threads already
    children = []
    for index in range(50):
        with tracer.start_as_current_span(f"root {index}"):
            children.append(tracer.start_span("open"))
    new = [thread.name for thread in set(threading.enumerate()) - before]
    assert new == ["scopetel-segments"]
    recorder.wait_for(50)
    assert all(segment.open_children_at_emit == 1 for segment in recorder.segments)
    for child in children:
        child.end()
    recorder.wait_for(100)
    assert recorder.drops == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_child_starts_empty(setup: Setup) -> None:
    tracer, _, recorder = setup(late_children_timeout=0.05)
    request = tracer.start_span("parent request")  # pending in the parent at fork time
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            with tracer.start_as_current_span("child root"):
                late = tracer.start_span("late child")
            recorder.wait_for(1)  # the timer thread works again in the child
            late.end()
            request.end()  # the parent's segment is not the child's to emit
            names = [segment.root.name for segment in recorder.segments]
            os.write(write_end, repr(names).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        assert pipe.read() == repr(["child root", "late child"])
    os.waitpid(pid, 0)
    request.end()
    assert [segment.root.name for segment in recorder.segments] == ["parent request"]


def test_unsampled_spans_are_ignored() -> None:
    recorder = Recorder()
    provider = TracerProvider(sampler=ALWAYS_OFF, shutdown_on_exit=False)
    provider.add_span_processor(SegmentProcessor(recorder.sink, recorder.on_drop))
    tracer = provider.get_tracer("scopetel")
    with tracer.start_as_current_span("root"):
        with tracer.start_as_current_span("child"):
            pass
    provider.shutdown()
    assert (recorder.segments, recorder.drops) == ([], [])


def test_every_ended_span_is_emitted_or_counted_once(setup: Setup) -> None:
    tracer, processor, recorder = setup(max_spans_per_segment=20, late_children_timeout=0.02)
    ended = 0
    ended_lock = threading.Lock()

    def work(seed: int) -> None:
        nonlocal ended
        rng = random.Random(seed)
        local = 0
        for _ in range(30):
            root = tracer.start_span("root", context=_remote_parent() if seed % 2 else None)
            parent_context = trace.set_span_in_context(root)
            spans = [
                tracer.start_span("c", context=parent_context) for _ in range(rng.randint(0, 40))
            ]
            rng.shuffle(spans)
            root_first = rng.random() < 0.5
            if root_first:
                root.end()
            for span in spans:
                span.end()
                if rng.random() < 0.05:
                    time.sleep(0.03)
            if not root_first:
                root.end()
            local += 1 + len(spans)
        with ended_lock:
            ended += local

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert processor.force_flush(5000)
    emitted = sum(1 + len(segment.spans) for segment in recorder.segments)
    assert emitted + recorder.dropped("span") == ended
    assert sum(segment.dropped_spans for segment in recorder.segments) == recorder.dropped("span")


def test_sink_errors_never_reach_the_application(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    tracer, processor, _ = setup()

    def broken(segment: Segment) -> None:
        raise RuntimeError("sink bug")

    processor.sink = broken
    raise_internal_errors(False)
    try:
        with caplog.at_level(logging.ERROR, logger="scopetel"):
            with tracer.start_as_current_span("root"):
                pass
    finally:
        raise_internal_errors(True)
    assert "internal error" in caplog.text


def test_odd_attribute_values_never_raise(setup: Setup) -> None:
    tracer, _, recorder = setup()
    with tracer.start_as_current_span(
        "odd",
        kind=SpanKind.SERVER,
        attributes={
            "http.method": 7,
            "http.status_code": "abc",
            "http.route": ("a", "b"),
            attrs.TAG_PREFIX: "empty name",
            attrs.MEASUREMENT_PREFIX + "x": "nan",
            attrs.SOURCE: 3,
            "float": float("nan"),
        },
    ) as span:
        odd: Any = b"\xff"
        span.set_attribute("bytes", odd)  # the SDK keeps only valid values
        span.set_attribute("none", None)
    (segment,) = recorder.segments
    json.dumps(to_trace_context(segment.root), allow_nan=False)
    assert transaction_name_and_source(segment.root) == ("odd", "custom")


def test_transaction_event_from_a_segment_is_valid_for_relay(setup: Setup) -> None:
    tracer, _, recorder = setup()
    with tracer.start_as_current_span(
        "wire-tx",
        attributes={
            attrs.OP: "task",
            attrs.TAG_PREFIX + "k": "v",
            attrs.MEASUREMENT_PREFIX + "custom.ms": 12.5,
            attrs.MEASUREMENT_UNIT_PREFIX + "custom.ms": "millisecond",
            "thread.name": "MainThread",
        },
    ):
        with tracer.start_as_current_span(
            "select 1", attributes={attrs.OP: "db", "db.system": "sqlite"}
        ):
            pass
    (segment,) = recorder.segments
    name, source = transaction_name_and_source(segment.root)
    event = {
        "type": "transaction",
        "event_id": uuid.uuid4().hex,
        "transaction": name,
        "transaction_info": {"source": source},
        "start_timestamp": segment.root.start_ns / 1e9,
        "timestamp": segment.root.end_ns / 1e9,
        "contexts": {"trace": to_trace_context(segment.root)},
        "spans": [to_transaction_span(span) for span in segment.spans],
        "measurements": measurements(segment.root),
        "tags": tags(segment.root),
        "platform": "python",
    }
    normalized = assert_valid_event(json.loads(json.dumps(event, allow_nan=False)))
    assert normalized["transaction"] == "wire-tx"
    assert normalized["measurements"]["custom.ms"] == {"value": 12.5, "unit": "millisecond"}
    assert normalized["spans"][0]["description"] == "select 1"


# Span streaming


class StreamRecorder:
    def __init__(self) -> None:
        self.batches: list[list[StreamedSpan]] = []

    def sink(self, batch: list[StreamedSpan]) -> None:
        self.batches.append(batch)

    def spans(self) -> list[StreamedSpan]:
        return [item for batch in self.batches for item in batch]


@pytest.fixture
def stream() -> Iterator[tuple[Tracer, SpanStreamProcessor, StreamRecorder]]:
    recorder = StreamRecorder()
    processor = SpanStreamProcessor(recorder.sink, batch_size=3)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    yield provider.get_tracer("opentelemetry.instrumentation.asgi"), processor, recorder
    provider.shutdown()


def test_stream_hands_on_spans_with_segment_identity(stream: Any) -> None:
    tracer, _, recorder = stream
    with tracer.start_as_current_span(
        "GET", kind=SpanKind.SERVER, attributes={"http.request.method": "GET"}
    ) as root:
        root.set_attribute("http.route", "/items/{id}")  # known only after routing
        with tracer.start_as_current_span("child"):
            pass
    root_id = root.get_span_context().span_id
    assert [(span.name, seg_id, name) for span, seg_id, name in recorder.spans()] == [
        ("child", root_id, "GET /items/{id}"),
        ("GET", root_id, "GET /items/{id}"),
    ]
    assert len(recorder.batches) == 1  # the root's end sends the batch
    child_item = to_span_v2(*recorder.spans()[0])
    assert child_item["attributes"]["sentry.segment.name"]["value"] == "GET /items/{id}"


def test_stream_batches_by_size_and_flush(stream: Any) -> None:
    tracer, processor, recorder = stream
    root = tracer.start_span("root", kind=SpanKind.SERVER)
    with trace.use_span(root):
        for _ in range(4):
            with tracer.start_as_current_span("child"):
                pass
    assert [len(batch) for batch in recorder.batches] == [3]
    assert processor.force_flush() is True
    assert [len(batch) for batch in recorder.batches] == [3, 1]
    with tracer.start_as_current_span("late", context=trace.set_span_in_context(root)):
        pass
    processor.shutdown()
    _, late_root_id, _ = recorder.spans()[-1]
    assert late_root_id == root.get_span_context().span_id  # root still open: same segment
    root.end()  # after shutdown: ignored
    assert len(recorder.spans()) == 5
