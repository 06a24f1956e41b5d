"""The OpenTelemetry ``LogRecordProcessor`` that turns log records into Sentry logs.

It sits in the process's ``LoggerProvider`` (built by ``init()`` or by the
``opentelemetry-instrument`` configurator, or an SDK provider found there), first
among its processors, so every record emitted there (``sentry_sdk.logger``,
``logging`` through scopetel's instrumentor, any other OpenTelemetry instrumentation)
becomes a Sentry log of the active client when ``enable_logs`` is on, beside what the
exporters of ``OTEL_LOGS_EXPORTER`` get. A record outside any span gets the trace of
its isolation scope, on both sides, so Sentry and the collector see the same trace ids.
"""

from typing import Any, Final

from opentelemetry._logs import LoggerProvider as ApiLoggerProvider
from opentelemetry.context import Context
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor

from scopetel._context.active_scopes import isolation_scope_in
from scopetel._events.relay_shape import INTERNAL_ERROR_REASON
from scopetel._internal_errors import report_internal_error
from scopetel._signals import sinks as _sinks
from scopetel._signals.attributes import text_value, user_attributes
from scopetel._signals.log_entries import PendingLog, level_of
from scopetel._signals.sinks import Sinks, offer
from scopetel._tracing.trace_identity import scope_trace_ids

_SIZE_PER_ATTRIBUTE: Final = 48  # bytes on the wire, about, for the budget of a batch


class SentryLogProcessor(LogRecordProcessor):
    """Every record emitted in the provider, as a log of the active client."""

    def on_emit(self, log_record: Any) -> None:
        sinks = _sinks.active()
        if sinks is None or not sinks.logs_enabled:
            return
        try:
            capture(sinks, getattr(log_record, "log_record", log_record))
        except Exception:
            sinks.client.record_lost(INTERNAL_ERROR_REASON, "log_item")
            report_internal_error("SentryLogProcessor")

    def shutdown(self) -> None:
        """The provider shuts down (at exit): scopetel's own shutdown sends the logs."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        _sinks.flush()
        return True


def capture(sinks: Sinks, record: Any, owned: bool = False) -> None:
    """Queue ``record`` (an OpenTelemetry ``LogRecord``) as a Sentry log, after
    ``before_send_log``; ``owned``: its attributes dict is the log's to keep."""
    options = sinks.client.options
    trace_id = record.trace_id
    span_id = record.span_id
    ctx = record.context
    if not trace_id:  # no span: the isolation scope's trace, for the collector too
        isolation = isolation_scope_in(ctx) if isinstance(ctx, Context) else None
        trace_id = record.trace_id = scope_trace_ids(isolation)[0]
        span_id = None
    severity = record.severity_number
    number = severity.value if severity is not None else 0
    attributes: Any = record.attributes
    if not owned:  # BoundedAttributes.copy() is a plain dict: read at C speed when encoded
        attributes = attributes.copy() if attributes else {}
    if options.send_default_pii and isinstance(ctx, Context):
        user = user_attributes(ctx)
        if user:
            attributes = {**user, **attributes}
    body = record.body
    log = {
        "severity_text": level_of(number, record.severity_text),
        "severity_number": number,
        "body": body if type(body) is str else text_value(body),
        "attributes": attributes,
        "time_unix_nano": record.timestamp or record.observed_timestamp,
        "trace_id": f"{trace_id:032x}",
        "span_id": f"{span_id:016x}" if span_id else None,
    }
    size = len(log["body"]) + _SIZE_PER_ATTRIBUTE * len(attributes)
    offer(sinks, sinks.logs, PendingLog(log), options.before_send_log, size)


PROCESSOR: Final = SentryLogProcessor()
_installed: ApiLoggerProvider | None = None


def install(provider: LoggerProvider) -> None:
    """Add :data:`PROCESSOR` to ``provider`` (once) and emit scopetel's logs there."""
    global _installed
    if getattr(provider, "_scopetel_logs", False):
        _installed = provider
        return
    provider.add_log_record_processor(PROCESSOR)
    provider._scopetel_logs = True  # type: ignore[attr-defined]
    _installed = provider


def installed_provider() -> ApiLoggerProvider | None:
    """The provider that has :data:`PROCESSOR` (where ``sentry_sdk.logger`` emits)."""
    return _installed


def mark_installed(provider: ApiLoggerProvider) -> None:
    """``provider`` was built with :data:`PROCESSOR` (by the configurator)."""
    global _installed
    provider._scopetel_logs = True  # type: ignore[attr-defined]
    _installed = provider
