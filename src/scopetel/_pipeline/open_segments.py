"""``OpenSegment``: a segment the segment processor is still assembling, and how the
spans of a continuation are split into follow-up trees."""

import time
from collections.abc import Iterable

from scopetel._pipeline.records import NO_VALUES, CompactSpan, ContextValues


class OpenSegment:
    """A segment being assembled; only touched under the processor's lock."""

    __slots__ = (
        "at_end",
        "at_start",
        "continuation",
        "created",
        "dropped",
        "follow_up",
        "open_ids",
        "root",
        "root_span_id",
        "spans",
    )

    def __init__(self, root_span_id: int, follow_up: bool, at_start: ContextValues) -> None:
        self.root_span_id = root_span_id
        self.follow_up = follow_up
        self.at_start = at_start
        self.at_end = NO_VALUES
        self.created = time.monotonic()
        self.root: CompactSpan | None = None
        self.spans: list[CompactSpan] = []
        self.open_ids = {root_span_id}
        self.dropped = 0
        self.continuation = False  # emitted once; following spans still open then


def split_trees(spans: list[CompactSpan]) -> Iterable[tuple[CompactSpan, list[CompactSpan]]]:
    """Split ended spans into (topmost span, its descendants) trees."""
    ids = {span.span_id for span in spans}
    children: dict[int, list[CompactSpan]] = {}
    tops: list[CompactSpan] = []
    for span in sorted(spans, key=lambda span: span.start_ns):
        parent = span.parent_span_id
        if parent is not None and parent in ids:
            children.setdefault(parent, []).append(span)
        else:
            tops.append(span)
    for top in tops:
        descendants: list[CompactSpan] = []
        stack = [top.span_id]
        while stack:
            below = children.get(stack.pop(), ())
            descendants.extend(below)
            stack.extend(span.span_id for span in below)
        yield top, descendants
