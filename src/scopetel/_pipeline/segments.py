"""Assemble finished spans into segments: a local root and its in-process descendants.

``SegmentProcessor`` buffers ``CompactSpan``\\ s per segment and hands a ``Segment``
to its sink once the root has ended and no descendant is open. Policy:

* A root that ends while descendants are open waits for them up to
  ``late_children_timeout``; then what has ended is emitted (``open_children_at_emit``
  says how many were still open) and the processor keeps following the open ones.
  When they have all ended, they are emitted as *follow-up* segments, one per
  topmost span, each rooted at a span whose parent is in an earlier segment.
* A span whose local parent is no longer buffered (its segment was emitted) starts
  a follow-up segment of its own. Sentry shows follow-ups as transactions whose
  ``parent_span_id`` points into the trace.
* Memory is bounded: ``max_spans_per_segment`` ended children per segment,
  ``max_open_segments`` segments, and ``max_segment_age``: a segment that old is
  emitted as it is, or, if its root never ended, its buffered spans are dropped.
* Every sampled span that ends is in exactly one emitted ``Segment`` or counted
  once through ``on_drop(reason, "span", n)`` (and a dropped root also as one
  ``"transaction"``) — except orphans (``_pipeline.roots``): a local root that is
  not an entry point, and its descendants, are only remembered by id while open,
  never buffered, never emitted nor counted (unless ``send_orphans``). One daemon
  thread, started with the first segment, handles the timeouts; sinks are always
  called outside the lock.

Span streaming (no segment buffers) is ``_span_stream.SpanStreamProcessor``.
"""

import threading
import time
from collections.abc import Callable
from typing import Final

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import (
    guard,
    guarded,
    report_internal_error,
    run_suppressed,
    suppressed,
)
from scopetel._pipeline.open_segments import OpenSegment, split_trees
from scopetel._pipeline.records import (
    CompactSpan,
    ContextValues,
    Segment,
    sampled_span_id,
    snapshots,
)
from scopetel._pipeline.roots import MAX_OPEN_ORPHANS, is_orphan_root, parent_is_orphan
from scopetel._trace_sdk.span import RecordingSpan

__all__ = [
    "DROP_REASON",
    "CompactSpan",
    "ContextValues",
    "Segment",
    "SegmentProcessor",
]

DROP_REASON: Final = "buffer_overflow"
"""Client-report reason for every span the processor could not keep."""


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


class SegmentProcessor(SpanProcessor):
    """Buffers sampled spans per segment and emits each ``Segment`` to ``sink``."""

    def __init__(
        self,
        sink: Callable[[Segment], None],
        on_drop: Callable[[str, str, int], None],
        *,
        max_spans_per_segment: int = 1000,
        late_children_timeout: float = 10.0,
        max_open_segments: int = 10_000,
        max_segment_age: float = 15 * 60.0,
        send_orphans: bool = False,
    ) -> None:
        _positive("max_spans_per_segment", max_spans_per_segment)
        _positive("late_children_timeout", late_children_timeout)
        _positive("max_open_segments", max_open_segments)
        _positive("max_segment_age", max_segment_age)
        self.sink = sink  # replaced when a new init() drains this processor
        self._on_drop = on_drop
        self._max_spans = max_spans_per_segment
        self._late_timeout = late_children_timeout
        self._max_segments = max_open_segments
        self._max_age = max_segment_age
        self._send_orphans = send_orphans
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        """Start empty (also in a forked child: the parent emits its own segments)."""
        self._lock = threading.Lock()
        self._wake_reaper = threading.Condition(self._lock)
        self._delivered = threading.Condition(self._lock)
        self._members: dict[int, OpenSegment] = {}  # span id -> segment, spans buffered or open
        self._pending: dict[int, OpenSegment] = {}  # root span id -> segment, oldest first
        self._waiting: dict[int, float] = {}  # root span id -> deadline, earliest first
        self._orphans: set[int] = set()  # open spans of orphan trees (never buffered)
        self._in_flight = 0
        self._reaper: threading.Thread | None = None
        self._closed = False

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            if type(span) is RecordingSpan:  # the lean core's: fields read directly
                if not span.trace_flags & 1 or self._closed:
                    return
                span_id: int = span.span_id
                parent = span._parent
            else:
                sampled = sampled_span_id(span)
                if self._closed or sampled is None:
                    return
                span_id, parent = sampled, span.parent
            local_parent = parent is not None and not parent.is_remote
            if parent is not None and local_parent:
                parent_id: int = parent.span_id
                lock = self._lock
                lock.acquire()  # not ``with``: twice the cost, on every span
                try:
                    segment = self._members.get(parent_id)
                    if segment is not None:
                        segment.open_ids.add(span_id)
                        self._members[span_id] = segment
                        return
                    orphan = parent_id in self._orphans
                finally:
                    lock.release()
                if orphan or (
                    not self._send_orphans and parent_is_orphan(parent_context, parent_id)
                ):
                    self._add_orphan(span_id)
                    return
            elif not self._send_orphans and is_orphan_root(span):
                self._add_orphan(span_id)
                return
            self._open(OpenSegment(span_id, local_parent, ContextValues.of(parent_context)))
        except Exception:  # guarded in the body: no wrapper call per span
            report_internal_error("SegmentProcessor.on_start")

    def _open(self, segment: OpenSegment) -> None:
        span_id = segment.root_span_id
        reaper = None
        with self._lock:
            if len(self._pending) >= self._max_segments:
                return  # not buffered: counted as dropped when it ends
            # No wake-up for the timer thread: with nothing pending it sleeps for
            # ``max_segment_age`` at most, so it finds this segment before it is due.
            self._pending[span_id] = segment
            self._members[span_id] = segment
            if self._reaper is None:
                reaper = self._reaper = threading.Thread(
                    target=self._reap, name="scopetel-segments", daemon=True
                )
        if reaper is not None:
            # Outside the lock: under gevent's gunicorn worker the lock is a native one
            # (made at fork, before monkey-patching) and the "thread" a greenlet, which
            # start() switches to; taking the lock there would block the whole process.
            reaper.start()

    def _add_orphan(self, span_id: int) -> None:
        with self._lock:
            if len(self._orphans) < MAX_OPEN_ORPHANS:
                self._orphans.add(span_id)

    def on_end(self, span: ReadableSpan) -> None:
        try:
            if (self._orphans and self._ended_orphan(span)) or self._closed:
                return
            if type(span) is RecordingSpan and type(span._name) is str:
                if span.trace_flags & 1:  # the common case: a lean span is its own record
                    self._end(span)  # type: ignore[arg-type]
                return
            compact = CompactSpan.if_sampled(span)
            if compact is not None:
                self._end(compact)
        except Exception:  # guarded in the body: no wrapper call per span
            report_internal_error("SegmentProcessor.on_end")

    def _ended_orphan(self, span: ReadableSpan) -> bool:
        context = span.context
        with self._lock:
            if context is not None and context.span_id in self._orphans:
                self._orphans.discard(context.span_id)
                return True
        return False

    def _end(self, compact: CompactSpan) -> None:
        span_id = compact.span_id
        ready: list[Segment] | None = None  # no list made for the common span
        lost = 0
        lock = self._lock
        lock.acquire()  # not ``with``: twice the cost, on every span
        try:
            segment = self._members.get(span_id)
            if segment is None:
                lost = 1
            else:
                segment.open_ids.discard(span_id)
                if span_id == segment.root_span_id and not segment.continuation:
                    segment.root = compact
                    segment.at_end = ContextValues.of(None)
                    if segment.open_ids:
                        self._waiting[span_id] = time.monotonic() + self._late_timeout
                        self._wake_reaper.notify()
                elif len(segment.spans) < self._max_spans:
                    segment.spans.append(compact)
                else:
                    segment.dropped += 1
                    del self._members[span_id]
                    lost = 1
                if not segment.open_ids and (segment.root is not None or segment.continuation):
                    ready, _ = self._take(segment, final=True)
            if ready:
                self._in_flight += 1
        finally:
            lock.release()
        if lost:
            self._report_drop(1, root=segment is None and compact.is_local_root)
        if ready:
            self._deliver(ready, 0)

    def _report_drop(self, quantity: int, *, root: bool) -> None:
        with guard("SegmentProcessor.on_drop"):
            self._on_drop(DROP_REASON, "span", quantity)
            if root:
                self._on_drop(DROP_REASON, "transaction", 1)

    def _take(self, pending: OpenSegment, *, final: bool) -> tuple[list[Segment], int]:
        """Emit what ``pending`` holds (under the lock); returns segments and lost spans.

        Unless ``final`` (or nothing is open), the segment stays registered as a
        continuation that follows its open spans; otherwise it is forgotten, and
        spans of it that end later are counted as dropped.
        """
        members = self._members
        for span in pending.spans:
            members.pop(span.span_id, None)
        self._waiting.pop(pending.root_span_id, None)
        root, spans, open_count = pending.root, pending.spans, len(pending.open_ids)
        start, end = snapshots(pending.at_start, pending.at_end)
        segments: list[Segment] = []
        lost = 0
        if pending.continuation:
            trees = split_trees(spans)
            segments = [Segment(top, below, 0, 0, True, start, end) for top, below in trees]
        elif root is not None:
            members.pop(root.span_id, None)
            segments = [Segment(root, spans, 0, 0, pending.follow_up, start, end)]
        else:  # the root never ended: there is no transaction to put these in
            lost = len(spans)
        if segments:  # counts are per emission; a split reports them on its first part
            segments[0].dropped_spans = pending.dropped
            segments[0].open_children_at_emit = open_count
        if final or not pending.open_ids:
            self._pending.pop(pending.root_span_id, None)
            for span_id in pending.open_ids:
                members.pop(span_id, None)
        else:
            pending.continuation = True
            pending.root = None
        pending.spans = []
        pending.dropped = 0
        return segments, lost

    def _deliver(self, segments: list[Segment], lost: int) -> None:
        """Hand segments to the sink outside the lock; one ``_in_flight`` unit, released
        when the sink is done (possibly later, in a helper thread: ``run_suppressed``)."""

        def deliver() -> None:
            try:
                if lost:
                    self._report_drop(lost, root=False)
                for segment in segments:
                    with guard("SegmentProcessor sink"):
                        self.sink(segment)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    if not self._in_flight:
                        self._delivered.notify_all()

        run_suppressed(deliver)

    def _take_due(self, now: float) -> tuple[list[Segment], int]:
        """Segments whose late children or age ran out (under the lock)."""
        segments: list[Segment] = []
        lost = 0
        for root_span_id, deadline in list(self._waiting.items()):
            if deadline > now:
                break
            taken, _ = self._take(self._pending[root_span_id], final=False)
            segments.extend(taken)
        for pending in list(self._pending.values()):
            if pending.created + self._max_age > now:
                break
            taken, dropped = self._take(pending, final=True)
            segments.extend(taken)
            lost += dropped
        return segments, lost

    def _next_wait(self, now: float) -> float:
        """Until the next deadline; with none, ``max_segment_age`` (a segment that opens
        meanwhile is due no earlier): waking the timer at every request's first span
        cost the request's thread a GIL hand-over."""
        deadlines: list[float] = [now + self._max_age]
        oldest = next(iter(self._pending.values()), None)
        if oldest is not None:
            deadlines.append(oldest.created + self._max_age)
        earliest = next(iter(self._waiting.values()), None)
        if earliest is not None:
            deadlines.append(earliest)
        return max(0.0, min(deadlines) - now)

    def _reap(self) -> None:
        """The one timer thread: late-children timeouts and the maximum age."""
        with suppressed():
            while not self._closed:
                healthy = False
                with guard("SegmentProcessor timer"):
                    self._reap_once()
                    healthy = True
                if not healthy:
                    time.sleep(1.0)  # a bug must not turn into a busy loop

    def _reap_once(self) -> None:
        with self._lock:
            if self._closed:
                return
            now = time.monotonic()
            segments, lost = self._take_due(now)
            if not (segments or lost):
                self._wake_reaper.wait(self._next_wait(now))
                return
            self._in_flight += 1
        self._deliver(segments, lost)

    def holds(self, span_id: int) -> bool:
        """Whether ``span_id`` belongs to a segment this processor still buffers."""
        with self._lock:
            return span_id in self._members

    def is_idle(self) -> bool:
        """No segment pending and nothing being delivered."""
        with self._lock:
            return not self._pending and not self._in_flight

    @guarded(False)
    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Emit every segment whose root has ended, even with children still open."""
        deadline = time.monotonic() + timeout_millis / 1000
        segments: list[Segment] = []
        with self._lock:
            for pending in list(self._pending.values()):
                if pending.root is not None or (pending.continuation and pending.spans):
                    segments.extend(self._take(pending, final=False)[0])
            if segments:
                self._in_flight += 1
        if segments:
            self._deliver(segments, 0)
        with self._lock:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._delivered.wait(remaining):
                    break
            return not self._in_flight

    @guarded(None)
    def shutdown(self) -> None:
        """Emit everything pending, open children or not; stop the timer thread."""
        segments: list[Segment] = []
        lost = 0
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for pending in list(self._pending.values()):
                taken, dropped = self._take(pending, final=True)
                segments.extend(taken)
                lost += dropped
            self._in_flight += 1
            self._wake_reaper.notify()
            reaper = self._reaper
        self._deliver(segments, lost)
        if reaper is not None and reaper is not threading.current_thread():
            reaper.join(timeout=5.0)
