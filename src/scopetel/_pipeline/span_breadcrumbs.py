"""Breadcrumbs from finished client spans: HTTP requests, SQL statements, redis commands.

sentry_sdk's integrations add a breadcrumb per call they record; OpenTelemetry's
instrumentations only make spans. This processor turns each finished CLIENT span of
an HTTP, database or redis call into the breadcrumb sentry_sdk would have added
(``_semconv.call_breadcrumbs``), on the isolation scope current where the span ends
(the one it ran in: instrumentations end their spans in the call's Context), so an
error captured later in the same request or job shows it. Other spans cost one
attribute read.

A statement recorded by two layers (SQLAlchemy over a driver, see ``query_layers``)
makes one breadcrumb: the outer span's is skipped when the scope's last breadcrumb
is the inner one's (the same statement, added within the outer span's time).
"""

import time
from collections.abc import Callable
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import SpanKind

from scopetel._context.active_scopes import get_isolation_scope
from scopetel._internal_errors import guarded
from scopetel._semconv.call_breadcrumbs import breadcrumb
from scopetel._trace_sdk.span import RecordingSpan

_CLIENT: Final = SpanKind.CLIENT

AddBreadcrumb = Callable[[dict[str, Any]], None]


class SpanBreadcrumbs(SpanProcessor):
    """Adds a breadcrumb through ``add`` (``add_known_breadcrumb``: the crumbs are built
    here in Relay's shape) per client call.

    No ``on_start`` of its own: the switchable processor leaves the SDK's no-op out."""

    def __init__(self, add: AddBreadcrumb) -> None:
        self._add = add

    def on_end(self, span: ReadableSpan) -> None:
        # the only check other spans pay for (a lean span's kind read from its slot)
        if (span._kind if type(span) is RecordingSpan else span.kind) is _CLIENT:
            self._record(span)

    @guarded(None)
    def _record(self, span: ReadableSpan) -> None:
        if not span.attributes:
            return
        crumb = breadcrumb(span.attributes)
        if crumb is None:
            return
        end = span.end_time
        start = span.start_time
        crumb["timestamp"] = end / 1e9 if end is not None else time.time()
        crumb.setdefault("type", "default")
        if crumb.get("message", "") is None:
            del crumb["message"]
        if crumb.get("category") == "query" and _repeats_last(crumb, start):
            return
        self._add(crumb)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _repeats_last(crumb: dict[str, Any], start_ns: int | None) -> bool:
    """The isolation scope's last breadcrumb is this statement's, from within the span."""
    crumbs = get_isolation_scope().data.breadcrumbs
    if not crumbs or start_ns is None:
        return False
    last = crumbs[-1]
    stamp = last.get("timestamp")
    return (
        last.get("category") == "query"
        and last.get("message") == crumb.get("message")
        and isinstance(stamp, float)
        and stamp >= start_ns / 1e9
    )
