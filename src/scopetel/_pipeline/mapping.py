"""Sentry JSON for finished spans: transaction spans, the trace context, span v2 items.

Sentry concepts come from scopetel's ``sentry.*`` attributes when the API set
them (``_attributes``) and are otherwise inferred from OpenTelemetry semantic
conventions (``_semconv``). Every other attribute becomes span ``data``.
"""

import math
from collections.abc import Sequence
from typing import Any, Final

from opentelemetry.util.types import AttributeValue

from scopetel._pipeline.records import CompactSpan
from scopetel._semconv import sentry_attributes as attrs
from scopetel._semconv.conventions import (
    DB_SYSTEM,
    LEGACY_DB_SYSTEM,
    first_str,
    infer_op_and_description,
    infer_status,
)
from scopetel._semconv.naming import segment_name_and_source

Json = dict[str, Any]

_NOT_DATA: Final = frozenset(
    {
        attrs.OP,
        attrs.DESCRIPTION,
        attrs.ORIGIN,
        attrs.SOURCE,
        attrs.STATUS,
        attrs.SAMPLE_RATE,
        attrs.SAMPLE_RAND,
    }
)
_NOT_DATA_PREFIXES: Final = (
    attrs.TAG_PREFIX,
    attrs.MEASUREMENT_PREFIX,
    attrs.MEASUREMENT_UNIT_PREFIX,
)
_INSTRUMENTATION_PREFIX: Final = "opentelemetry.instrumentation."
_MAX_TAG_LENGTH: Final = 200  # Relay rejects longer tag keys and values
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**63 - 1


def _explicit_str(span: CompactSpan, key: str) -> str | None:
    value = span.attributes.get(key)
    return value if isinstance(value, str) and value else None


def origin(span: CompactSpan) -> str:
    """Explicit ``sentry.origin``, else ``auto.otel.<lib>`` for contrib instrumentation.

    Spans of any other tracer (scopetel's own API or an application's tracer)
    are ``manual``.
    """
    explicit = _explicit_str(span, attrs.ORIGIN)
    if explicit is not None:
        return explicit
    scope = span.scope_name
    if scope.startswith(_INSTRUMENTATION_PREFIX):
        library = scope[len(_INSTRUMENTATION_PREFIX) :].replace(".", "_").replace("-", "_")
        if library:
            return f"auto.otel.{library}"
    return attrs.DEFAULT_ORIGIN


def op_and_description(span: CompactSpan) -> tuple[str | None, str]:
    """Explicit ``sentry.op``/``sentry.description``, each else inferred."""
    explicit_op = _explicit_str(span, attrs.OP)
    explicit_description = _explicit_str(span, attrs.DESCRIPTION)
    if explicit_op and span.scope_name == SCOPETEL_TRACER:
        # scopetel's own spans: the name is the description the user gave
        return explicit_op, explicit_description or span.name
    op, description = infer_op_and_description(span.name, span.kind, span.attributes)
    return explicit_op or op, explicit_description or description


SCOPETEL_TRACER = "scopetel"  # the instrumentation scope of spans scopetel's API starts


def status(span: CompactSpan) -> str:
    """The Sentry span status (``ok``, ``not_found``, ``internal_error`` …)."""
    return infer_status(span.status_code, span.attributes, _explicit_str(span, attrs.STATUS))


def transaction_name_and_source(root: CompactSpan) -> tuple[str, str]:
    """``transaction`` and ``transaction_info.source`` for a segment's root span."""
    return segment_name_and_source(root.name, root.kind, root.attributes)


def _json_scalar(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if _INT_MIN <= value <= _INT_MAX else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _json_value(value: AttributeValue) -> object:
    if isinstance(value, str | bytes | int | float) or not isinstance(value, Sequence):
        return _json_scalar(value)
    return [_json_scalar(item) for item in value]


def _is_data(key: str) -> bool:
    return key not in _NOT_DATA and not key.startswith(_NOT_DATA_PREFIXES)


def data(span: CompactSpan) -> Json:
    """Span ``data``: every attribute that is not a scopetel ``sentry.*`` attribute."""
    result: Json = {
        key: _json_value(value) for key, value in span.attributes.items() if _is_data(key)
    }
    if LEGACY_DB_SYSTEM not in result:
        # Sentry's query insights read db.system; stable semconv renamed it.
        system = first_str(span.attributes, DB_SYSTEM)
        if system is not None:
            result[LEGACY_DB_SYSTEM] = system
    if attrs.THREAD_ID in result:  # profiling links: Sentry wants the id as a string
        result[attrs.THREAD_ID] = str(result[attrs.THREAD_ID])
    return result


def _classic_data(span: CompactSpan) -> Json:
    """``data`` in a transaction: the profiler id (``_profiling``) under sentry-sdk's key."""
    result = data(span)
    if attrs.PROFILER_ID in result:
        result[PROFILER_ID_DATA] = result.pop(attrs.PROFILER_ID)
    return result


PROFILER_ID_DATA: Final = "profiler_id"


def profile_context(root: CompactSpan) -> Json | None:
    """``contexts.profile`` of a transaction whose root ran while the profiler sampled."""
    profiler_id = root.attributes.get(attrs.PROFILER_ID)
    return {"profiler_id": profiler_id} if isinstance(profiler_id, str) else None


def tags(span: CompactSpan) -> dict[str, str]:
    """Tags from ``sentry.tag.<key>`` attributes, as Relay accepts them."""
    result: dict[str, str] = {}
    for key, value in span.attributes.items():
        if not key.startswith(attrs.TAG_PREFIX):
            continue
        name = key[len(attrs.TAG_PREFIX) :]
        if not name or len(name) > _MAX_TAG_LENGTH:
            continue
        text = value if isinstance(value, str) else str(_json_value(value))
        result[name] = text.replace("\n", " ")[:_MAX_TAG_LENGTH]
    return result


def measurements(root: CompactSpan) -> dict[str, Json]:
    """``measurements`` from ``sentry.measurement.<name>`` (+ ``measurement_unit``)."""
    result: dict[str, Json] = {}
    prefix = attrs.MEASUREMENT_PREFIX
    for key, value in root.attributes.items():
        if not key.startswith(prefix) or isinstance(value, bool):
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            continue
        name = key[len(prefix) :]
        if not name:
            continue
        entry: Json = {"value": value}
        unit = root.attributes.get(attrs.MEASUREMENT_UNIT_PREFIX + name)
        if isinstance(unit, str) and unit:
            entry["unit"] = unit
        result[name] = entry
    return result


def _seconds(ns: int) -> float:
    return ns / 1e9


def _trace_id(span: CompactSpan) -> str:
    return f"{span.trace_id:032x}"


def _span_id(span_id: int) -> str:
    return f"{span_id:016x}"


def to_transaction_span(span: CompactSpan) -> Json:
    """An entry of a transaction event's ``spans`` list."""
    op, description = op_and_description(span)
    result: Json = {
        "trace_id": _trace_id(span),
        "span_id": _span_id(span.span_id),
        "same_process_as_parent": not span.parent_is_remote,
        "description": description,
        "start_timestamp": _seconds(span.start_ns),
        "timestamp": _seconds(span.end_ns),
        "status": status(span),
        "origin": origin(span),
    }
    if span.parent_span_id is not None:
        result["parent_span_id"] = _span_id(span.parent_span_id)
    if op is not None:
        result["op"] = op
    span_tags = tags(span)
    if span_tags:
        result["tags"] = span_tags
    span_data = _classic_data(span)
    if span_data:
        result["data"] = span_data
    return result


def to_trace_context(root: CompactSpan) -> Json:
    """``contexts.trace`` of the transaction whose root is ``root``."""
    op, _ = op_and_description(root)
    result: Json = {
        "trace_id": _trace_id(root),
        "span_id": _span_id(root.span_id),
        "status": status(root),
        "origin": origin(root),
    }
    if root.parent_span_id is not None:
        result["parent_span_id"] = _span_id(root.parent_span_id)
    if op is not None:
        result["op"] = op
    description = _explicit_str(root, attrs.DESCRIPTION)
    if description is not None:
        result["description"] = description
    root_data = _classic_data(root)
    if root_data:
        result["data"] = root_data
    return result


def typed(value: object) -> Json:
    """An attribute value as span v2 writes it: ``{"value": ..., "type": ...}``."""
    if isinstance(value, bool):
        return {"value": value, "type": "boolean"}
    if isinstance(value, int):
        return {"value": value, "type": "integer"}
    if isinstance(value, float):
        return {"value": value, "type": "double"}
    if isinstance(value, list | tuple):
        return {
            "value": [
                item if isinstance(item, str | bool | int | float) else str(item) for item in value
            ],
            "type": "array",
        }
    return {"value": value if isinstance(value, str) else str(value), "type": "string"}


def to_span_v2(span: CompactSpan, segment_root_span_id: int, segment_name: str) -> Json:
    """A span v2 item (span streaming): attributes typed, status ``ok``/``error``."""
    op, description = op_and_description(span)
    is_segment = span.span_id == segment_root_span_id
    attributes: Json = {key: typed(value) for key, value in data(span).items()}
    for key, value in tags(span).items():
        attributes.setdefault(key, typed(value))
    for key, entry in measurements(span).items():
        attributes.setdefault(key, typed(entry["value"]))
    if op is not None:
        attributes["sentry.op"] = typed(op)
    attributes["sentry.origin"] = typed(origin(span))
    attributes["sentry.segment.id"] = typed(_span_id(segment_root_span_id))
    attributes["sentry.segment.name"] = typed(segment_name)
    if is_segment:
        attributes["sentry.segment.name.source"] = typed(transaction_name_and_source(span)[1])
        if description != segment_name:
            attributes["sentry.description"] = typed(description)
    sample_rate = span.attributes.get(attrs.SAMPLE_RATE)
    if isinstance(sample_rate, int | float) and not isinstance(sample_rate, bool):
        attributes[attrs.SAMPLE_RATE] = typed(_json_scalar(float(sample_rate)))
    result: Json = {
        "trace_id": _trace_id(span),
        "span_id": _span_id(span.span_id),
        "name": segment_name if is_segment else description,
        "status": "ok" if status(span) == "ok" else "error",
        "is_segment": is_segment,
        "start_timestamp": _seconds(span.start_ns),
        "end_timestamp": _seconds(span.end_ns),
        "attributes": attributes,
    }
    if span.parent_span_id is not None:
        result["parent_span_id"] = _span_id(span.parent_span_id)
    return result
