"""Emitting a log record to an OpenTelemetry logger, straight to the Sentry processor when
nothing else could see it.

OpenTelemetry's SDK ``Logger.emit`` builds a ``LogRecord``, wraps it in a
``ReadWriteLogRecord`` and validates every attribute again into ``BoundedAttributes``
before its processors see it: about a third of what a Sentry log costs. When the
logger's provider has scopetel's Sentry processor and no other (no
``OTEL_LOGS_EXPORTER``, nothing added since), no exporter can observe the record, so the
attributes scopetel built (valid already: ``attribute_value``) go to the processor as
they are. Any other processor, a disabled logger, internal SDK metrics, or attribute
limits the record would hit take the SDK's own path, so exporters get exactly what the
SDK makes. Unknown logger implementations take the SDK's path too.
"""

from time import time_ns
from typing import Any

from opentelemetry._logs import Logger, SeverityNumber
from opentelemetry.context import Context
from opentelemetry.trace import get_current_span

from scopetel._events.relay_shape import INTERNAL_ERROR_REASON
from scopetel._internal_errors import report_internal_error
from scopetel._signals import sinks as _sinks
from scopetel._signals.log_processor import PROCESSOR, capture

_SENTRY_ONLY = (PROCESSOR,)


class DirectRecord:
    """The fields of an OpenTelemetry ``LogRecord`` the Sentry processor reads."""

    __slots__ = (
        "attributes",
        "body",
        "context",
        "observed_timestamp",
        "severity_number",
        "severity_text",
        "span_id",
        "timestamp",
        "trace_id",
    )

    def __init__(
        self,
        timestamp: int,
        context: Context,
        severity_number: SeverityNumber,
        severity_text: str,
        body: Any,
        attributes: dict[str, Any],
    ) -> None:
        span_context = get_current_span(context).get_span_context()
        self.timestamp = timestamp
        self.observed_timestamp = time_ns()
        self.context = context
        self.trace_id = span_context.trace_id
        self.span_id = span_context.span_id
        self.severity_number = severity_number
        self.severity_text = severity_text
        self.body = body
        self.attributes = attributes


def sentry_only(logger: Logger, attribute_count: int) -> bool:
    """Whether a record with that many attributes, emitted to ``logger``, would reach
    the Sentry processor alone, unchanged."""
    multi = getattr(logger, "_multi_log_record_processor", None)
    if getattr(multi, "_log_record_processors", None) != _SENTRY_ONLY:
        return False
    config = getattr(logger, "_logger_config", None)
    if config is None or not config.is_enabled:
        return False
    if type(getattr(logger, "_logger_metrics", None)).__name__ != "NoOpLoggerMetrics":
        return False
    limits = getattr(logger, "_log_record_limits", None)
    if limits is None or limits.max_log_record_attribute_length is not None:
        return False
    most = limits.max_log_record_attributes
    return most is None or attribute_count <= most


def emit_log(
    logger: Logger,
    timestamp: int,
    context: Context,
    severity_number: SeverityNumber,
    severity_text: str,
    body: Any,
    attributes: dict[str, Any],
) -> None:
    """``logger.emit(...)`` with these fields; ``attributes`` is handed over (not copied:
    the caller built it for this record)."""
    if not sentry_only(logger, len(attributes)):
        logger.emit(
            timestamp=timestamp,
            context=context,
            severity_number=severity_number,
            severity_text=severity_text,
            body=body,
            attributes=attributes,
        )
        return
    sinks = _sinks.active()
    if sinks is None or not sinks.logs_enabled:
        return
    record = DirectRecord(timestamp, context, severity_number, severity_text, body, attributes)
    try:
        capture(sinks, record, owned=True)
    except Exception:
        sinks.client.record_lost(INTERNAL_ERROR_REASON, "log_item")
        report_internal_error("emit_log")
