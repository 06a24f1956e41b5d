"""Spans left out of Sentry transactions because they repeat what another span says.

* Contrib's ASGI ``http send``/``http receive`` spans (one per message: a streamed
  response of five chunks makes nine; made by the ASGI middleware of contrib's ASGI,
  Starlette and FastAPI instrumentations) time only the hand-over of a message to the
  server; the server span already has the status and the duration.
* Contrib's Flask span under scopetel's server span (``GET /<int:id>``, op ``http``)
  repeats the request; its route is on the server span (scopetel's Flask instrumentor
  sets it), and its children are moved up to its parent.

They still reach OTLP, and they are not counted as dropped: nothing is lost.
"""

from collections.abc import Iterable
from typing import Final

from opentelemetry.trace import SpanKind

from scopetel._pipeline.records import CompactSpan

CONTRIB_PREFIX: Final = "opentelemetry.instrumentation."
FRAMEWORK_SCOPES: Final = frozenset({"opentelemetry.instrumentation.flask"})
ASGI_EVENT: Final = "asgi.event.type"


def is_redundant(span: CompactSpan) -> bool:
    if span.kind is not SpanKind.INTERNAL:
        return False
    scope = span.scope_name
    if ASGI_EVENT in span.attributes:
        return scope.startswith(CONTRIB_PREFIX)
    return scope in FRAMEWORK_SCOPES


def without_redundant(spans: Iterable[CompactSpan]) -> tuple[list[CompactSpan], dict[int, int]]:
    """The spans worth sending, and for each span left out, the span its children move to
    (its own parent)."""
    kept: list[CompactSpan] = []
    moved: dict[int, int] = {}
    for span in spans:
        if (
            span.kind is SpanKind.INTERNAL
            and span.parent_span_id is not None
            and is_redundant(span)
        ):
            moved[span.span_id] = span.parent_span_id
        else:
            kept.append(span)
    return kept, moved


def parent_of(span: CompactSpan, moved: dict[int, int]) -> int | None:
    """``span``'s parent once the spans left out are skipped."""
    parent = span.parent_span_id
    seen = 0
    while parent is not None and parent in moved and seen < len(moved):
        parent = moved[parent]
        seen += 1
    return parent
