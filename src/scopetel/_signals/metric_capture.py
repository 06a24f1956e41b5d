"""One ``sentry_sdk.metrics`` value: a Sentry trace metric and an OpenTelemetry measurement.

Sentry keeps every value, linked to the active span (or to the isolation scope's trace
outside any span); OpenTelemetry aggregates them for its readers. The OpenTelemetry
side records whether or not a DSN is set.
"""

import time
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry import trace as otel_trace

from scopetel._client import get_client
from scopetel._coerce import dropped, finite_number
from scopetel._context import entries
from scopetel._context.active_scopes import isolation_scope_in
from scopetel._internal_errors import report_internal_error
from scopetel._signals import sinks as _sinks
from scopetel._signals.attributes import Plain, attribute_values, text_value, user_attributes
from scopetel._signals.log_entries import PendingLog
from scopetel._signals.meters import METERS
from scopetel._tracing.trace_identity import scope_trace_ids

_SIZE_PER_ATTRIBUTE: Final = 48


def capture(kind: str, name: object, value: object, unit: object, attributes: object) -> None:
    """Record ``value`` of the metric ``name`` (``kind``: counter, gauge, distribution)."""
    number = finite_number(value, "metrics value")
    if number is None:
        return
    if get_client() is None:
        return
    metric_name = text_value(name)
    if not metric_name:
        dropped("metrics", name, "needs a name; nothing recorded for")
        return
    unit_text = None if unit is None else text_value(unit)
    attrs: dict[str, Plain] = attribute_values(attributes) if attributes else {}
    try:  # not ``with guard()``: a generator context manager per value costs a tenth
        METERS.record(metric_name, kind, number, unit_text, attrs)
    except Exception:
        report_internal_error("metrics (OpenTelemetry)")
    sinks = _sinks.active()
    if sinks is None or not sinks.metrics_enabled:
        return
    _to_sentry(sinks, kind, metric_name, number, unit_text, attrs)


def _to_sentry(
    sinks: _sinks.Sinks,
    kind: str,
    name: str,
    value: float,
    unit: str | None,
    attributes: Mapping[str, Any],
) -> None:
    ctx = entries.current()
    span = otel_trace.get_current_span(ctx).get_span_context()
    if span.is_valid:
        trace_id, span_id = f"{span.trace_id:032x}", f"{span.span_id:016x}"
    else:
        trace_id, span_id = f"{scope_trace_ids(isolation_scope_in(ctx))[0]:032x}", None
    options = sinks.client.options
    if options.send_default_pii:
        user = user_attributes(ctx)
        if user:
            attributes = {**user, **attributes}
    metric = {
        "timestamp": time.time(),
        "trace_id": trace_id,
        "span_id": span_id,
        "name": name,
        "type": kind,
        "value": value,
        "unit": unit,
        "attributes": attributes,
    }
    size = len(name) + _SIZE_PER_ATTRIBUTE * len(attributes)
    _sinks.offer(sinks, sinks.metrics, PendingLog(metric), options.before_send_metric, size)
