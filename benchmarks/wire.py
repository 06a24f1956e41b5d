"""Reading wire bytes back, to check what each implementation produced.

A deliberately small envelope reader (header line, then items framed by their
``length`` header or by a newline) and an OTLP protobuf reader; both only used after
the timed part of a workload, and by the fake backend.
"""

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SpanLink:
    """A span id and its parent's (``None`` for a root), as lowercase hex."""

    span_id: str
    parent_id: str | None


def envelope_items(data: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """The (headers, payload) of every item of a serialized Sentry envelope."""
    _, _, rest = data.partition(b"\n")
    items: list[tuple[dict[str, Any], bytes]] = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        headers = json.loads(header_line)
        length = headers.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1 :]
        items.append((headers, payload))
    return items


def transaction_links(event: dict[str, Any]) -> list[SpanLink]:
    """The root (from ``contexts.trace``) and every child span of a transaction event."""
    trace = event.get("contexts", {}).get("trace", {})
    links = [SpanLink(trace["span_id"], trace.get("parent_span_id"))]
    links += [SpanLink(s["span_id"], s.get("parent_span_id")) for s in event.get("spans", [])]
    return links


def envelope_links(payloads: list[bytes]) -> list[SpanLink]:
    """Every span of every transaction in these envelopes."""
    links: list[SpanLink] = []
    for data in payloads:
        for headers, payload in envelope_items(data):
            if headers.get("type") == "transaction":
                links += transaction_links(json.loads(payload))
    return links


def otlp_links(payloads: list[bytes]) -> list[SpanLink]:
    """Every span of these OTLP ``ExportTraceServiceRequest`` protobuf messages."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    links: list[SpanLink] = []
    for data in payloads:
        request = ExportTraceServiceRequest.FromString(data)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    parent = span.parent_span_id.hex() or None
                    links.append(SpanLink(span.span_id.hex(), parent))
    return links


def children_of(root_id: str, links: list[SpanLink]) -> int:
    """How many spans name ``root_id`` as their parent."""
    return sum(1 for link in links if link.parent_id == root_id)
