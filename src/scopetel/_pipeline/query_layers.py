"""One Sentry span per SQL statement when two instrumentation layers record it.

With OpenTelemetry's SQLAlchemy instrumentation and a driver's (sqlite3, psycopg …)
both installed, every statement is recorded twice: SQLAlchemy's span, then, inside
its time, the driver's span of the same statement (a sibling: SQLAlchemy's span is
not current while the driver runs). sentry_sdk records a statement once. The
transaction keeps the outer span (SQLAlchemy's: it covers the driver's time and knows
the engine) and leaves the driver's out; children of a span left out hang from the
span kept. OTLP still receives both. (While Sentry is the only reader of spans, the
lean tracer does not record the driver's span at all: ``_trace_sdk.unread_spans``;
scopetel's SQLAlchemy instrumentor does not even start it; this rule covers the other
cases.)

Rule: two CLIENT spans of different instrumentations with the same parent and the
same statement, one within the other's time. Concurrent identical statements of one
library (``asyncio.gather``) are never merged.
"""

from opentelemetry.trace import SpanKind

from scopetel._pipeline.records import CompactSpan
from scopetel._semconv.conventions import DB_QUERY_TEXT, DB_SYSTEM, first_str


def _statement(span: CompactSpan) -> str | None:
    if span.kind is not SpanKind.CLIENT or first_str(span.attributes, DB_SYSTEM) is None:
        return None
    return first_str(span.attributes, DB_QUERY_TEXT)


def lower_layers(spans: list[CompactSpan]) -> dict[int, int]:
    """Span id of each lower layer → span id of the span kept for its statement (its
    children move there)."""
    clients = [span for span in spans if span.kind is SpanKind.CLIENT]
    if len({span.scope_name for span in clients}) < 2:
        return {}  # one instrumentation (or none) made client spans: nothing is recorded twice
    groups: dict[tuple[int | None, str], list[CompactSpan]] = {}
    for span in clients:
        statement = _statement(span)
        if statement is not None:
            groups.setdefault((span.parent_span_id, statement), []).append(span)
    lower: dict[int, int] = {}
    for group in groups.values():
        if len(group) < 2 or all(span.scope_name == group[0].scope_name for span in group):
            continue  # one layer only (a statement repeated by one library)
        group.sort(key=lambda span: (span.start_ns, -span.end_ns))
        kept: list[CompactSpan] = []
        for span in group:
            outer = next(
                (
                    other
                    for other in kept
                    if other.scope_name != span.scope_name
                    and other.start_ns <= span.start_ns
                    and span.end_ns <= other.end_ns
                ),
                None,
            )
            if outer is None:
                kept.append(span)
            else:
                lower[span.span_id] = outer.span_id
    return lower
