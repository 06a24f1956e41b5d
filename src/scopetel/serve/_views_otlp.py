"""Text for OTLP spans: the spans of one request grouped by trace, each trace a tree."""

from typing import Any

from scopetel.serve._fields import as_dict, as_str
from scopetel.serve._memory import SpanMemory
from scopetel.serve._records import Received
from scopetel.serve._style import Style, count
from scopetel.serve._trees import TreeSpan, draw, link

__all__ = ["otlp_views"]


def otlp_views(records: list[Received], memory: SpanMemory, style: Style) -> list[list[str]]:
    """One block per trace: a header line, then the trace's spans as a tree."""
    traces: dict[str, list[tuple[TreeSpan, str]]] = {}
    for record in records:
        payload = as_dict(record.payload)
        service = as_str(as_dict(record.meta.get("resource")).get("service.name"))
        traces.setdefault(as_str(payload.get("traceId")), []).append((_tree_span(payload), service))
    blocks: list[list[str]] = []
    for trace_id, members in traces.items():
        spans = [span for span, _ in members]
        services = sorted({service for _, service in members if service})
        header = [style.paint(f"otlp trace {trace_id or '?'}", "title")]
        if services:
            header.append("service " + ", ".join(services))
        header.append(count(len(spans), "span"))
        ids = {span.span_id for span in spans}
        for span in spans:
            if span.parent_id and span.parent_id not in ids:
                seen = memory.get(span.parent_id)
                span.note = (
                    f'child of "{seen.name}" received earlier'
                    if seen
                    else f"parent {span.parent_id} not received"
                )
        blocks.append([style.dot.join(header), *draw(link(spans), style)])
        for span in spans:
            memory.remember(span.span_id, span.name, span.end)
    return blocks


def _tree_span(payload: dict[str, Any]) -> TreeSpan:
    attributes = as_dict(payload.get("attributes"))
    status = as_dict(payload.get("status"))
    failed = as_str(status.get("code")) == "error"
    message = as_str(status.get("message"))
    return TreeSpan(
        span_id=as_str(payload.get("spanId")),
        parent_id=as_str(payload.get("parentSpanId")) or None,
        op=as_str(attributes.get("sentry.op")) or as_str(payload.get("kind")),
        name=as_str(payload.get("name")),
        start=_nanos(payload.get("startTimeUnixNano")),
        end=_nanos(payload.get("endTimeUnixNano")),
        status=(f"error: {message}" if message else "error") if failed else None,
    )


def _nanos(value: Any) -> float | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value / 1e9
    return None
