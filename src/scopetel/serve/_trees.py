"""Span trees: link spans by parent id and draw them as indented, annotated lines.

Whatever the source (a transaction, streamed ``span`` items, OTLP), spans become
``TreeSpan``\\ s. Linking never loops and never loses a span: a span whose parent is
absent (or that sits in a parent cycle) is drawn as a root of its own.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from scopetel.serve._style import Style, format_duration

__all__ = ["MAX_LINES", "TreeSpan", "draw", "link"]

MAX_LINES: Final = 300
"""Lines drawn per tree; the rest is summarised in one line."""

_LATE_TOLERANCE: Final = 1e-4  # clocks are read separately for parent and child


@dataclass(slots=True, eq=False)
class TreeSpan:
    """A span as drawn: ``start``/``end`` in seconds since the epoch (``None``: unknown).

    ``status`` is set only when it is not ok; ``note`` is an extra remark for the line.
    """

    span_id: str
    parent_id: str | None
    op: str
    name: str
    start: float | None
    end: float | None
    status: str | None = None
    note: str | None = None
    children: list["TreeSpan"] = field(default_factory=list)

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


def _start_key(span: TreeSpan) -> float:
    return span.start if span.start is not None else float("inf")


def link(spans: Iterable[TreeSpan]) -> list[TreeSpan]:
    """Fill ``children`` from ``parent_id`` and return the roots, everything by start time."""
    by_id: dict[str, TreeSpan] = {}
    ordered: list[TreeSpan] = []
    for span in spans:
        span.children = []
        ordered.append(span)
        by_id.setdefault(span.span_id, span)
    roots: list[TreeSpan] = []
    for span in ordered:
        parent = by_id.get(span.parent_id) if span.parent_id else None
        if parent is None or parent is span:
            roots.append(span)
        else:
            parent.children.append(span)
    reachable: set[int] = set()
    stack = list(roots)
    while stack:
        span = stack.pop()
        reachable.add(id(span))
        stack.extend(span.children)
    for span in ordered:  # members of a parent cycle: break the cycle at this span
        if id(span) not in reachable:
            if span.parent_id in by_id:
                by_id[span.parent_id].children.remove(span)
            roots.append(span)
            stack = [span]
            while stack:
                member = stack.pop()
                reachable.add(id(member))
                stack.extend(c for c in member.children if id(c) not in reachable)
    for span in ordered:
        span.children.sort(key=_start_key)
    roots.sort(key=_start_key)
    return roots


def draw(
    roots: list[TreeSpan], style: Style, *, root_end: float | None = None, indent: str = "  "
) -> list[str]:
    """One line per span: op, name, duration, start offset and remarks.

    A span that ended after ``root_end`` (without it: a descendant that ended after
    its own root) is marked: it finished after the work it belongs to was done.
    """
    starts = [span.start for span in roots if span.start is not None]
    origin = min(starts) if starts else None
    lines: list[str] = []
    total = 0
    for root in roots:
        reference = root_end if root_end is not None else root.end
        stack: list[tuple[TreeSpan, str, str, bool]] = [(root, "", "", True)]
        while stack:
            span, prefix, child_prefix, is_root = stack.pop()
            total += 1
            if len(lines) < MAX_LINES:
                late_after = reference if root_end is not None or not is_root else None
                text = _line(span, style, origin, late_after)
                lines.append(indent + prefix + text)
            for position, child in reversed(list(enumerate(span.children))):
                last = position == len(span.children) - 1
                glyph = style.last_branch if last else style.branch
                below = "   " if last else style.pipe
                stack.append((child, child_prefix + glyph, child_prefix + below, False))
    if total > len(lines):
        more = "…" if style.unicode else "..."
        lines.append(f"{indent}{more} and {total - len(lines)} more spans")
    return lines


def _line(span: TreeSpan, style: Style, origin: float | None, reference: float | None) -> str:
    parts = [style.paint(span.op, "op")] if span.op else []
    parts.append(span.name or "(unnamed)")
    parts.append(style.paint(format_duration(span.duration), "dim"))
    if origin is not None and span.start is not None and span.start - origin >= 0.00005:
        parts.append(style.paint(f"at +{format_duration(span.start - origin)}", "dim"))
    if span.status:
        parts.append(style.paint(f"{style.error_mark} {span.status}", "error"))
    if reference is not None and span.end is not None and span.end > reference + _LATE_TOLERANCE:
        late = format_duration(span.end - reference)
        parts.append(style.paint(f"{style.warn_mark} ended {late} after the root", "warn"))
    if span.note:
        parts.append(style.paint(span.note, "warn"))
    return "  ".join(parts)
