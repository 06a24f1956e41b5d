"""scopetel: Sentry's developer experience on OpenTelemetry's foundations.

The functions mirror ``sentry_sdk``'s top-level API, so ``import scopetel as sentry_sdk``
runs typical code unchanged. The state they read and write (active span, current and
isolation scopes) lives in OpenTelemetry's immutable Context.
"""

from scopetel import logger, metrics
from scopetel._api import (
    add_attachment,
    add_breadcrumb,
    capture_event,
    capture_exception,
    capture_message,
    end_session,
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
    start_session,
)
from scopetel._client_view import get_client
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
from scopetel._init import init
from scopetel._setup.init import flush
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
from scopetel.crons import capture_checkin, monitor


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
    "add_attachment",
    "add_breadcrumb",
    "capture_checkin",
    "capture_event",
    "capture_exception",
    "capture_message",
    "continue_trace",
    "end_session",
    "flush",
    "get_baggage",
    "get_client",
    "get_current_scope",
    "get_current_span",
    "get_global_scope",
    "get_isolation_scope",
    "get_traceparent",
    "init",
    "is_initialized",
    "isolation_scope",
    "last_event_id",
    "logger",
    "metrics",
    "monitor",
    "new_scope",
    "set_context",
    "set_extra",
    "set_level",
    "set_measurement",
    "set_tag",
    "set_tags",
    "set_transaction_name",
    "set_user",
    "start_session",
    "start_span",
    "start_transaction",
    "trace",
    "use_isolation_scope",
    "use_scope",
]
