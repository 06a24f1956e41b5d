"""Text for Sentry items: transaction trees, streamed-span trees, one-line error summaries."""

from typing import Any, Final

from scopetel.serve._fields import as_dict, as_list, as_str, seconds
from scopetel.serve._memory import SpanMemory
from scopetel.serve._records import Received
from scopetel.serve._style import Style, count, format_duration
from scopetel.serve._trees import TreeSpan, draw, link
from scopetel.serve._views_signals import signal_line

__all__ = ["event_line", "item_line", "segment_views", "transaction_view"]

_OK_STATUSES: Final = frozenset({"", "ok", "unset"})
_VALUE_WIDTH: Final = 200


def transaction_view(payload: Any, memory: SpanMemory, style: Style) -> list[str]:
    """A header line, then the transaction's span tree rooted at its trace context."""
    event = as_dict(payload)
    trace = as_dict(as_dict(event.get("contexts")).get("trace"))
    name = as_str(event.get("transaction")) or "<unnamed>"
    root = TreeSpan(
        span_id=as_str(trace.get("span_id")),
        parent_id=None,
        op=as_str(trace.get("op")),
        name=as_str(trace.get("description")) or name,
        start=seconds(event.get("start_timestamp")),
        end=seconds(event.get("timestamp")),
        status=_bad_status(trace.get("status")),
    )
    spans = [_transaction_span(span) for span in as_list(event.get("spans"))]
    for span in spans:
        if not span.parent_id:
            span.parent_id = root.span_id  # a span without a parent belongs to the root
    header = [
        style.paint(f'transaction "{name}"', "title"),
        format_duration(root.duration),
        count(len(spans) + 1, "span"),
        f"trace {as_str(trace.get('trace_id')) or '?'}",
    ]
    header += _origin(as_str(trace.get("parent_span_id")), memory)
    lines = [style.dot.join(header)]
    lines += draw(link([root, *spans]), style, root_end=root.end)
    for span in (root, *spans):
        memory.remember(span.span_id, span.name or span.op, span.end)
    return lines


def _transaction_span(span: Any) -> TreeSpan:
    data = as_dict(span)
    return TreeSpan(
        span_id=as_str(data.get("span_id")),
        parent_id=as_str(data.get("parent_span_id")) or None,
        op=as_str(data.get("op")),
        name=as_str(data.get("description")),
        start=seconds(data.get("start_timestamp")),
        end=seconds(data.get("timestamp")),
        status=_bad_status(data.get("status")),
    )


def _origin(parent_span_id: str, memory: SpanMemory) -> list[str]:
    if not parent_span_id:
        return []
    seen = memory.get(parent_span_id)
    if seen is None:
        return [f"parent span {parent_span_id} (remote or not received)"]
    return [f'continues span {parent_span_id} "{seen.name}" received earlier']


def _bad_status(value: Any) -> str | None:
    status = as_str(value)
    return None if status.lower() in _OK_STATUSES else status


def _attribute(attributes: dict[str, Any], key: str) -> str:
    value = attributes.get(key)
    return as_str(as_dict(value).get("value") if isinstance(value, dict) else value)


def segment_views(payload: Any, memory: SpanMemory, style: Style) -> list[list[str]]:
    """Streamed ``span`` items (v2): one block (a tree) per segment found in this batch."""
    groups: dict[tuple[str, str], list[tuple[TreeSpan, dict[str, Any]]]] = {}
    for item in as_list(as_dict(payload).get("items")):
        data = as_dict(item)
        attributes = as_dict(data.get("attributes"))
        span = TreeSpan(
            span_id=as_str(data.get("span_id")),
            parent_id=as_str(data.get("parent_span_id")) or None,
            op=_attribute(attributes, "sentry.op"),
            name=as_str(data.get("name")),
            start=seconds(data.get("start_timestamp")),
            end=seconds(data.get("end_timestamp")),
            status=_bad_status(data.get("status")),
        )
        segment_id = _attribute(attributes, "sentry.segment.id") or span.span_id
        key = (as_str(data.get("trace_id")), segment_id)
        groups.setdefault(key, []).append((span, data))
    return [
        _segment_view(trace_id, segment_id, members, memory, style)
        for (trace_id, segment_id), members in groups.items()
    ]


def _segment_view(
    trace_id: str,
    segment_id: str,
    members: list[tuple[TreeSpan, dict[str, Any]]],
    memory: SpanMemory,
    style: Style,
) -> list[str]:
    spans = [span for span, _ in members]
    root = next((span for span, data in members if data.get("is_segment") is True), None)
    first_attributes = as_dict(members[0][1].get("attributes"))
    name = root.name if root else _attribute(first_attributes, "sentry.segment.name")
    header = [style.paint(f'segment "{name or segment_id}"', "title")]
    root_end = root.end if root else None
    if root is None:
        seen = memory.get(segment_id)
        if seen is not None:
            root_end = seen.end
            header.append("spans that arrived after their segment root")
        else:
            header.append("segment root not received yet")
    else:
        header.append(format_duration(root.duration))
    header += [count(len(spans), "span"), f"trace {trace_id or '?'}"]
    for span in spans:
        if span is not root and span.parent_id and span.parent_id not in {s.span_id for s in spans}:
            seen = memory.get(span.parent_id)
            if seen is not None:
                span.note = f'child of "{seen.name}" received earlier'
    lines = [style.dot.join(header)]
    lines += draw(link(spans), style, root_end=root_end)
    for span in spans:
        memory.remember(span.span_id, span.name or span.op, span.end)
    return lines


def event_line(payload: Any, style: Style) -> str:
    """``error Type: value · function in file:line · transaction "…" · trace … · event …``."""
    event = as_dict(payload)
    level = as_str(event.get("level")) or "error"
    exception = event.get("exception")
    values = as_list(as_dict(exception).get("values") if isinstance(exception, dict) else exception)
    parts: list[str] = []
    if values:
        last = as_dict(values[-1])
        kind = as_str(last.get("type")) or "Exception"
        value = _one_line(as_str(last.get("value")))
        summary = f"{level} {kind}: {value}" if value else f"{level} {kind}"
        parts.append(style.paint(summary, "error"))
        culprit = _culprit(as_list(as_dict(last.get("stacktrace")).get("frames")))
        if culprit:
            parts.append(culprit)
    else:
        parts.append(style.paint(f"{level} {_one_line(_message(event))}", "error"))
    transaction = as_str(event.get("transaction"))
    if transaction:
        parts.append(f'transaction "{transaction}"')
    trace_id = as_str(as_dict(as_dict(event.get("contexts")).get("trace")).get("trace_id"))
    if trace_id:
        parts.append(f"trace {trace_id}")
    parts.append(f"event {as_str(event.get('event_id')) or '?'}")
    return style.dot.join(parts)


def _message(event: dict[str, Any]) -> str:
    logentry = as_dict(event.get("logentry"))
    message = event.get("message")
    return (
        as_str(logentry.get("formatted"))
        or as_str(logentry.get("message"))
        or as_str(as_dict(message).get("formatted") if isinstance(message, dict) else message)
        or "(no message)"
    )


def _culprit(frames: list[Any]) -> str:
    """The last in-app frame (the last frame when none is in-app): ``function in file:line``."""
    candidates = [as_dict(frame) for frame in frames if isinstance(frame, dict)]
    in_app = [frame for frame in candidates if frame.get("in_app") is True]
    if not candidates:
        return ""
    chosen = (in_app or candidates)[-1]
    where = as_str(chosen.get("filename")) or as_str(chosen.get("abs_path"))
    where = where or as_str(chosen.get("module")) or "?"
    lineno = chosen.get("lineno")
    if isinstance(lineno, int) and not isinstance(lineno, bool):
        where = f"{where}:{lineno}"
    return f"{as_str(chosen.get('function')) or '?'} in {where}"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _VALUE_WIDTH else flat[: _VALUE_WIDTH - 1] + "…"


def item_line(record: Received, style: Style) -> str:
    """A short line for any other item type (client reports, sessions, check-ins …)."""
    payload = as_dict(record.payload)
    if record.kind == "client_report":
        counts = [
            f"{as_str(d.get('reason'))} {as_str(d.get('category'))} x{as_str(d.get('quantity'))}"
            for d in map(as_dict, as_list(payload.get("discarded_events")))
        ]
        return style.dot.join(["client_report", "discarded " + (", ".join(counts) or "nothing")])
    line = signal_line(record, style)
    if line is not None:
        return line
    length = as_dict(record.meta.get("headers")).get("length")
    return style.dot.join([f"{record.kind} item", f"{as_str(length) or '?'} bytes"])
