"""Span streaming: hand each sampled span on as it ends, with its segment's identity.

Unlike ``SegmentProcessor`` nothing waits for a root: per open span the processor
keeps only which segment it belongs to (the root's span id, a weak reference to
the root and the root's name at start). The segment name is resolved when a batch
is handed on (the root's final name once it has ended, else its current name,
e.g. after routing set ``http.route``). Ended spans collect in one small batch
that goes to the sink when it has ``batch_size`` spans, when a segment root ends
(so a request's spans leave together), on ``force_flush`` and on ``shutdown``.
Envelope framing (at most 1000 items per ``span`` item) happens in the exporter.

A span whose local parent has already ended is streamed as a segment of its own
(its ``parent_span_id`` still links it into the trace). Orphans (``_pipeline.roots``)
are followed as one shared ``ORPHAN`` segment while open and never streamed, unless
``send_orphans``.
"""

import threading
import weakref
from collections.abc import Callable

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import guard, guarded, run_suppressed
from scopetel._pipeline.mapping import transaction_name_and_source
from scopetel._pipeline.records import CompactSpan
from scopetel._pipeline.redundant import is_redundant
from scopetel._pipeline.roots import is_orphan_root, parent_is_orphan
from scopetel._semconv.naming import segment_name_and_source

StreamedSpan = tuple[CompactSpan, int, str]
"""A finished span, its segment's root span id and its segment's name."""


class _OpenSegment:
    """A segment's identity; its name is resolved once per batch, not per span."""

    __slots__ = ("final_name", "root", "root_name", "root_span_id")

    def __init__(self, root_span_id: int, root: Span | None, root_name: str) -> None:
        # An open root is alive anyway; a weak reference does not extend that.
        self.root = None if root is None else weakref.ref(root)
        self.root_name = root_name
        self.root_span_id = root_span_id
        self.final_name: str | None = None  # set when the root has ended

    def name(self) -> str:
        if self.final_name is not None:
            return self.final_name
        root = None if self.root is None else self.root()
        if root is None:
            return self.root_name
        attributes = root.attributes or {}
        return segment_name_and_source(root.name, root.kind, attributes)[0]


ORPHAN = _OpenSegment(0, None, "")
"""The segment of every open span of an orphan tree."""


def _resolve(batch: list[tuple[CompactSpan, _OpenSegment]]) -> list[StreamedSpan]:
    names: dict[int, str] = {}
    result: list[StreamedSpan] = []
    for span, segment in batch:
        name = names.get(segment.root_span_id)
        if name is None:
            name = names[segment.root_span_id] = segment.name()
        result.append((span, segment.root_span_id, name))
    return result


class SpanStreamProcessor(SpanProcessor):
    """Streams sampled spans to ``sink`` in small batches, without segment buffers."""

    def __init__(
        self,
        sink: Callable[[list[StreamedSpan]], None],
        *,
        batch_size: int = 100,
        max_open_spans: int = 100_000,
        send_orphans: bool = False,
    ) -> None:
        if batch_size < 1 or max_open_spans < 1:
            raise ValueError("batch_size and max_open_spans must be at least 1")
        self._sink = sink
        self._batch_size = batch_size
        self._max_open = max_open_spans  # oldest forgotten first: they stream as own segments
        self._send_orphans = send_orphans
        self._closed = False
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        """Start empty (also in a forked child: the parent streams its own spans)."""
        self._lock = threading.Lock()
        self._open: dict[int, _OpenSegment] = {}  # open span id -> its segment
        self._batch: list[tuple[CompactSpan, _OpenSegment]] = []

    @guarded(None)
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        context = span.context
        if self._closed or context is None or not context.trace_flags.sampled:
            return
        parent = span.parent
        local_parent = parent is not None and not parent.is_remote
        segment = None
        if parent is not None and local_parent:
            with self._lock:
                segment = self._open.get(parent.span_id)
            if segment is None and not self._send_orphans:
                segment = ORPHAN if parent_is_orphan(parent_context, parent.span_id) else None
        elif not self._send_orphans and is_orphan_root(span):
            segment = ORPHAN
        if segment is None:
            segment = _OpenSegment(context.span_id, span, span.name)
        with self._lock:
            self._open[context.span_id] = segment
            if len(self._open) > self._max_open:  # spans that never end must not pile up
                del self._open[next(iter(self._open))]

    @guarded(None)
    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if self._closed or context is None or not context.trace_flags.sampled:
            return
        span_id = context.span_id
        with self._lock:
            segment = self._open.pop(span_id, None)
        compact = None if segment is ORPHAN else CompactSpan.from_readable(span)
        if compact is None or (segment is not None and is_redundant(compact)):
            return
        is_root = segment is None or segment.root_span_id == span_id
        if segment is None:
            segment = _OpenSegment(span_id, None, compact.name)
        if is_root:
            segment.final_name = transaction_name_and_source(compact)[0]
        taken: list[tuple[CompactSpan, _OpenSegment]] = []
        with self._lock:
            self._batch.append((compact, segment))
            if is_root or len(self._batch) >= self._batch_size:
                taken, self._batch = self._batch, []
        if taken:
            self._deliver(taken)

    def _deliver(self, taken: list[tuple[CompactSpan, _OpenSegment]]) -> None:
        def deliver() -> None:
            with guard("SpanStreamProcessor sink"):
                self._sink(_resolve(taken))

        run_suppressed(deliver)

    def _take_batch(self) -> list[tuple[CompactSpan, _OpenSegment]]:
        with self._lock:
            taken, self._batch = self._batch, []
        return taken

    @guarded(False)
    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Hand on the spans collected so far."""
        taken = self._take_batch()
        if taken:
            self._deliver(taken)
        return True

    @guarded(None)
    def shutdown(self) -> None:
        """Hand on the last spans; later spans are ignored."""
        self._closed = True
        taken = self._take_batch()
        if taken:
            self._deliver(taken)
