"""Which segment an exported span belongs to, across export batches.

A span exporter sees spans as they end, children before their parents, in batches
of the exporter's choosing. A span's segment is its nearest local root (no parent,
or a remote one), so a child can only be placed once its ancestors up to the root
have been seen. ``SegmentResolver`` places what it can at once, keeps the rest
waiting for their parents (bounded in count and age), and remembers the segment of
recently placed spans (bounded) for children exported later. A span still waiting
when it expires, or on ``flush``, is streamed as a segment of its own, like
``SpanStreamProcessor`` does for a span whose parent already left; its
``parent_span_id`` still links it into the trace.

Orphans (``_pipeline.roots``: a local root that is not an entry point, and what is
placed under it) are placed like any span, so their children are recognised, but
not returned for sending unless ``send_orphans``.
"""

import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Final

from scopetel._pipeline.mapping import transaction_name_and_source
from scopetel._pipeline.records import CompactSpan
from scopetel._pipeline.roots import is_entry_point
from scopetel._pipeline.span_stream import StreamedSpan

Segment = tuple[int, str]  # root span id, segment name

MAX_KNOWN: Final = 10_000
MAX_WAITING: Final = 10_000
MAX_WAIT_S: Final = 30.0
ORPHAN: Final[Segment] = (0, "")


class SegmentResolver:
    """Not thread-safe: the exporter calls it under its own lock."""

    def __init__(
        self,
        max_known: int = MAX_KNOWN,
        max_waiting: int = MAX_WAITING,
        max_wait_s: float = MAX_WAIT_S,
        send_orphans: bool = False,
    ) -> None:
        self._known: OrderedDict[int, Segment] = OrderedDict()
        self._waiting: dict[int, list[tuple[CompactSpan, float]]] = {}  # parent id -> spans
        self._waiting_count = 0
        self._max_known = max_known
        self._max_waiting = max_waiting
        self._max_wait_s = max_wait_s
        self._send_orphans = send_orphans

    @property
    def waiting(self) -> int:
        return self._waiting_count

    def add(self, spans: Iterable[CompactSpan], now: float | None = None) -> list[StreamedSpan]:
        """Place ``spans``; the spans placed now (these, and earlier children)."""
        now = time.monotonic() if now is None else now
        ready: list[tuple[CompactSpan, Segment]] = []
        for span in spans:
            parent = span.parent_span_id
            if span.is_local_root or parent is None:
                ready.append((span, self._root_segment(span)))
            elif parent in self._known:
                ready.append((span, self._known[parent]))
            else:
                self._waiting.setdefault(parent, []).append((span, now))
                self._waiting_count += 1
        placed = self._place(ready)
        placed += self._expire(now, force=False)
        return placed

    def flush(self) -> list[StreamedSpan]:
        """Stream every waiting span now (as its own segment when still unplaced)."""
        return self._expire(time.monotonic(), force=True)

    def _root_segment(self, root: CompactSpan) -> Segment:
        if self._send_orphans or is_entry_point(root.kind, root.parent_is_remote, root.scope_name):
            return (root.span_id, transaction_name_and_source(root)[0])
        return ORPHAN

    def _place(self, ready: list[tuple[CompactSpan, Segment]]) -> list[StreamedSpan]:
        placed: list[StreamedSpan] = []
        while ready:
            span, segment = ready.pop()
            if segment is not ORPHAN:
                placed.append((span, segment[0], segment[1]))
            self._remember(span.span_id, segment)
            children = self._waiting.pop(span.span_id, None)
            if children:
                self._waiting_count -= len(children)
                ready.extend((child, segment) for child, _ in children)
        return placed

    def _remember(self, span_id: int, segment: Segment) -> None:
        self._known[span_id] = segment
        if len(self._known) > self._max_known:
            self._known.popitem(last=False)

    def _expire(self, now: float, force: bool) -> list[StreamedSpan]:
        """Give spans that waited too long (or all, or the oldest beyond the bound)
        segments of their own; their waiting descendants follow them."""
        if not self._waiting:
            return []
        deadline = now - self._max_wait_s
        overflow = self._waiting_count - self._max_waiting
        waiting_ids = {span.span_id for spans in self._waiting.values() for span, _ in spans}
        expired: list[CompactSpan] = []
        for parent_id in sorted(self._waiting, key=lambda p: self._waiting[p][0][1]):
            spans = self._waiting[parent_id]
            if parent_id in waiting_ids:
                continue  # placed with its waiting parent
            if force or overflow > 0 or spans[0][1] <= deadline:
                del self._waiting[parent_id]
                self._waiting_count -= len(spans)
                overflow -= len(spans)
                expired.extend(span for span, _ in spans)
        ready = [(span, (span.span_id, transaction_name_and_source(span)[0])) for span in expired]
        return self._place(ready)
