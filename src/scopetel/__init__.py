"""scopetel: Sentry's developer experience on OpenTelemetry's foundations.

The functions mirror ``sentry_sdk``'s top-level API, so ``import scopetel as sentry_sdk``
runs typical code unchanged. The state they read and write (active span, current and
isolation scopes) lives in OpenTelemetry's immutable Context.
"""

from scopetel import profiler  # sentry_sdk.profiler (start_profiler, stop_profiler)
from scopetel._api import (
    add_breadcrumb,
    capture_event,
    capture_exception,
    capture_message,
    is_initialized,
    last_event_id,
    set_context,
    set_extra,
    set_level,
    set_measurement,
    set_tag,
    set_tags,
    set_transaction_name,
    set_user,
)
from scopetel._context.active_scopes import (
    get_current_scope,
    get_global_scope,
    get_isolation_scope,
    isolation_scope,
    new_scope,
    use_isolation_scope,
    use_scope,
)
from scopetel._context.scope import Scope
from scopetel._setup.init import flush, init
from scopetel._tracing.decorator import make_trace as _make_trace
from scopetel._tracing.span import Span
from scopetel._tracing.trace_identity import get_baggage, get_traceparent
from scopetel._tracing.transaction import (
    Transaction,
    continue_trace,
    get_current_span,
    start_span,
    start_transaction,
)
from scopetel._version import VERSION


def _start_for_trace(op: str | None, name: str) -> Span:
    return start_span(op=op, name=name)


trace = _make_trace(_start_for_trace)
"""Decorator: ``@trace`` or ``@trace(op=..., name=...)`` on functions, coroutines, generators."""

__version__ = VERSION

__all__ = [
    "Scope",
    "Span",
    "Transaction",
    "__version__",
    "add_breadcrumb",
    "capture_event",
    "capture_exception",
    "capture_message",
    "continue_trace",
    "flush",
    "get_baggage",
    "get_current_scope",
    "get_current_span",
    "get_global_scope",
    "get_isolation_scope",
    "get_traceparent",
    "init",
    "is_initialized",
    "isolation_scope",
    "last_event_id",
    "new_scope",
    "profiler",
    "set_context",
    "set_extra",
    "set_level",
    "set_measurement",
    "set_tag",
    "set_tags",
    "set_transaction_name",
    "set_user",
    "start_span",
    "start_transaction",
    "trace",
    "use_isolation_scope",
    "use_scope",
]
