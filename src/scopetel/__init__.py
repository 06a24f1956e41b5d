"""scopetel: Sentry's developer experience on OpenTelemetry's foundations.

The functions mirror ``sentry_sdk``'s top-level API (``scopetel.api``), so
``import scopetel as sentry_sdk`` runs typical code unchanged. The state they read and
write (active span, current and isolation scopes) lives in OpenTelemetry's immutable
Context.
"""

from scopetel import (
    _resource_warnings,  # noqa: F401  (first: before the OpenTelemetry SDK is imported)
    _scope_services,  # noqa: F401  (Scope's members that reach the client)
    logger,
    metrics,
    profiler,  # sentry_sdk.profiler (start_profiler, stop_profiler)
)
from scopetel._context.scope import Scope
from scopetel._tracing.span import Span
from scopetel._tracing.transaction import Transaction
from scopetel._version import VERSION as __version__
from scopetel.api import (
    add_attachment,
    add_breadcrumb,
    capture_event,
    capture_exception,
    capture_message,
    configure_scope,
    continue_trace,
    end_session,
    flush,
    flush_async,
    get_baggage,
    get_client,
    get_current_scope,
    get_current_span,
    get_global_scope,
    get_isolation_scope,
    get_traceparent,
    init,
    is_initialized,
    isolation_scope,
    last_event_id,
    monitor,
    new_scope,
    push_scope,
    remove_attribute,
    set_attribute,
    set_attributes,
    set_context,
    set_extra,
    set_level,
    set_measurement,
    set_tag,
    set_tags,
    set_transaction_name,
    set_user,
    start_session,
    start_span,
    start_transaction,
    trace,
    update_current_span,
    use_isolation_scope,
    use_scope,
)
from scopetel.consts import VERSION
from scopetel.crons import capture_checkin
from scopetel.hub import Hub
from scopetel.transport import HttpTransport, Transport

__all__ = [
    "VERSION",
    "HttpTransport",
    "Hub",
    "Scope",
    "Span",
    "Transaction",
    "Transport",
    "__version__",
    "add_attachment",
    "add_breadcrumb",
    "capture_checkin",
    "capture_event",
    "capture_exception",
    "capture_message",
    "configure_scope",
    "continue_trace",
    "end_session",
    "flush",
    "flush_async",
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
    "profiler",
    "push_scope",
    "remove_attribute",
    "set_attribute",
    "set_attributes",
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
    "update_current_span",
    "use_isolation_scope",
    "use_scope",
]
