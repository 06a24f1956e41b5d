"""Sentry JSON for finished spans: transaction spans, the trace context, span v2 items.

Sentry concepts come from scopetel's ``sentry.*`` attributes when the API set
them (``_attributes``) and are otherwise inferred from OpenTelemetry semantic
conventions (``_semconv``). Every other attribute becomes span ``data``.
"""

import math
from collections.abc import Sequence
from typing import Any, Final

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from scopetel._pipeline.records import CompactSpan
from scopetel._semconv import http_calls, redis_commands, relay_fields
from scopetel._semconv import sentry_attributes as attrs
from scopetel._semconv.conventions import (
    DB_SYSTEM,
    HTTP_METHOD,
    HTTP_STATUS_CODE,
    LEGACY_DB_SYSTEM,
    Attrs,
    first_str,
    http_method,
    http_status_code,
    infer_op_and_description,
    infer_status,
)
from scopetel._semconv.naming import segment_name_and_source
from scopetel._semconv.profile_link import PROFILER_ID_DATA, ProfileLink, add_link_data
from scopetel._trace_sdk.span import RecordingSpan

Json = dict[str, Any]

_INSTRUMENTATION_PREFIX: Final = "opentelemetry.instrumentation."
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**63 - 1
_REDIS_OP: Final = "db.redis"


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
        return relay_fields.origin(explicit)
    scope = span.scope_name
    found = _SCOPE_ORIGINS.get(scope)
    if found is None:
        found = _scope_origin(scope)
        if len(_SCOPE_ORIGINS) < _MAX_SCOPES:
            _SCOPE_ORIGINS[scope] = found
    return found


_OWN_ORIGINS: Final = {attrs.SQLALCHEMY_TRACER: "auto.db.sqlalchemy"}
"""scopetel's instrumentors' tracers that set no ``sentry.origin``: sentry_sdk's origin."""


def _scope_origin(scope: str) -> str:
    own = _OWN_ORIGINS.get(scope)
    if own is not None:
        return own
    if scope.startswith(_INSTRUMENTATION_PREFIX):
        library = scope[len(_INSTRUMENTATION_PREFIX) :].replace(".", "_").replace("-", "_")
        if library:
            return f"auto.otel.{library}"
    return attrs.DEFAULT_ORIGIN


_SCOPE_ORIGINS: Final[dict[str, str]] = {}  # instrumentation scope name -> origin
_MAX_SCOPES: Final = 256


def op_and_description(span: CompactSpan) -> tuple[str | None, str | None]:
    """Explicit ``sentry.op``/``sentry.description``, each else inferred.

    scopetel's own spans are named by the description the user gave, or by their op
    when none was given: then the description is None, as sentry_sdk sends it.
    """
    explicit_op = _explicit_str(span, attrs.OP)
    explicit_description = _explicit_str(span, attrs.DESCRIPTION)
    if explicit_op and span.scope_name == SCOPETEL_TRACER:
        if explicit_description is not None:
            return explicit_op, explicit_description
        return explicit_op, None if span.name == explicit_op else span.name
    if explicit_op is None and span.scope_name in NATIVE_OPS:
        return _native_op(span, explicit_description)
    op, description = infer_op_and_description(span.name, span.kind, span.attributes)
    if op == _REDIS_OP and explicit_description is None:
        description = redis_commands.description(span.attributes) or description
    return explicit_op or op, explicit_description or description


NATIVE_OPS = {"fastapi": "function.fastapi"}
"""Ops of the internal spans libraries make themselves (FastAPI >= 0.16x: its
``fastapi.endpoint``/``dependencies``/``serialization`` spans), by tracer name."""


def _native_op(span: CompactSpan, description: str | None) -> tuple[str | None, str | None]:
    if span.kind is not SpanKind.INTERNAL:
        op, inferred = infer_op_and_description(span.name, span.kind, span.attributes)
        return op, description or inferred
    function = span.attributes.get("code.function.name")
    if description is None:
        description = f"{span.name} {function}" if isinstance(function, str) else span.name
    return NATIVE_OPS[span.scope_name], description


SCOPETEL_TRACER = "scopetel"  # the instrumentation scope of spans scopetel's API starts


def status(span: CompactSpan) -> str | None:
    """The Sentry span status (``ok``, ``not_found``, ``internal_error`` …), or None when
    nothing set or implies one (sentry_sdk then sends no status either).

    A span of scopetel's API has the status its code set (``set_status``,
    ``set_http_status``, an exception), as in sentry_sdk: an HTTP code it only recorded as
    data implies none. Other instrumentations' spans get one from their HTTP/gRPC codes.
    """
    implying = _NO_ATTRIBUTES if span.scope_name == SCOPETEL_TRACER else span.attributes
    return infer_status(span.status_code, implying, _explicit_str(span, attrs.STATUS))


_NO_ATTRIBUTES: Final[dict[str, AttributeValue]] = {}


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
    kind = type(value)
    if kind is str or kind is bool:  # the common types first, without isinstance chains
        return value
    if kind is int:
        return value if _INT_MIN <= value <= _INT_MAX else str(value)  # type: ignore[operator]
    if isinstance(value, (str, bytes, int, float)) or not isinstance(value, Sequence):
        return _json_scalar(value)
    return [_json_scalar(item) for item in value]


_DATA_KEYS: Final[dict[str, bool]] = {}  # attribute key -> is data (``attrs.is_data``)
_MOST_DATA_KEYS: Final = 4096


_PLAIN_KEYS: Final[set[str]] = set()
"""Attribute keys met that start neither a tag nor a measurement (bounded): a span whose
keys are all known plain has neither, found by one set comparison made in C instead of a
loop over its attributes (two loops a span: its tags, a root's measurements)."""
_SPECIAL_PREFIXES: Final = (attrs.TAG_PREFIX, attrs.MEASUREMENT_PREFIX)


def _may_name_tags_or_measurements(attributes: Attrs) -> bool:
    keys = attributes.keys()
    if keys <= _PLAIN_KEYS:
        return False
    if len(_PLAIN_KEYS) >= _MOST_DATA_KEYS:
        _PLAIN_KEYS.clear()  # keys made from data: start over
    for key in keys:
        if type(key) is str and not key.startswith(_SPECIAL_PREFIXES):
            _PLAIN_KEYS.add(key)
    return True


def _remember_data_key(key: str) -> bool:
    """``attrs.is_data(key)``, remembered: the same few keys come back span after span
    (bounded: keys made from data start over when full)."""
    if len(_DATA_KEYS) >= _MOST_DATA_KEYS:
        _DATA_KEYS.clear()
    keep = _DATA_KEYS[key] = attrs.is_data(key)
    return keep


def data(span: CompactSpan) -> Json:
    """Span ``data``: every attribute that is not a scopetel ``sentry.*`` attribute.

    An outgoing HTTP request carries sentry_sdk's keys (``url`` split from
    ``http.query`` and ``http.fragment``, ``http.method``, ``http.response.status_code``,
    ``reason``) instead of the conventions' ones; any HTTP status code is
    ``http.response.status_code``, the key Sentry reads.
    """
    attributes = span.attributes
    known = _DATA_KEYS
    result: Json = {}
    for key, value in attributes.items():
        keep = known.get(key)
        if keep is None:
            keep = _remember_data_key(key)
        if keep:
            result[key] = value if type(value) is str else _json_value(value)
    if result.keys() & _CONVENTION_KEYS:  # (they are data keys: in result when set)
        _apply_conventions(span, attributes, result)
    if attrs.THREAD_ID in result:  # profiling links: Sentry wants the id as a string
        result[attrs.THREAD_ID] = str(result[attrs.THREAD_ID])
    return result


_CONVENTION_KEYS: Final = frozenset((*DB_SYSTEM, *HTTP_METHOD, *HTTP_STATUS_CODE))


def _apply_conventions(span: CompactSpan, attributes: Attrs, result: Json) -> None:
    """sentry_sdk's keys for a database system, an HTTP call and a status code."""
    if LEGACY_DB_SYSTEM not in result:
        # Sentry's query insights read db.system; stable semconv renamed it.
        system = first_str(attributes, DB_SYSTEM)
        if system is not None:
            result[LEGACY_DB_SYSTEM] = system
    if span.kind is SpanKind.CLIENT and http_method(attributes) is not None:
        for key in http_calls.REPLACED:
            result.pop(key, None)
        result.update(http_calls.client_data(attributes))
    else:
        code = http_status_code(attributes)
        if code is not None:
            for key in HTTP_STATUS_CODE:
                result.pop(key, None)
            result[http_calls.STATUS_CODE] = code


def http_status(span: CompactSpan) -> int | None:
    """The HTTP status code a span recorded (a request served or made), if any."""
    return http_status_code(span.attributes)


def status_tags(span: CompactSpan, span_status: str | None) -> dict[str, str]:
    """The tags sentry_sdk gives a span: ``status`` and ``http.status_code``."""
    result: dict[str, str] = {}
    if span_status is not None:
        result["status"] = span_status
    code = http_status(span)
    if code is not None and span.scope_name != SCOPETEL_TRACER:  # API: set_http_status tags
        result["http.status_code"] = str(code)
    return result


def classic_data(span: CompactSpan) -> Json:
    """``data`` in a transaction: the profiler id (``_profiling``) under sentry-sdk's key,
    and a root's link to the profile."""
    result = data(span)
    if attrs.PROFILER_ID in result:
        result[PROFILER_ID_DATA] = result.pop(attrs.PROFILER_ID)
    link = profile_link(span)
    if link is not None:
        add_link_data(result, link)
    return result


def profile_link(span: CompactSpan) -> ProfileLink | None:
    """A root's link to the profile (``_semconv.profile_link``; lean spans only)."""
    return span.profile_link if isinstance(span, RecordingSpan) else None


def profile_context(root: CompactSpan) -> Json | None:
    """``contexts.profile`` of a transaction whose root ran while the profiler sampled."""
    link = profile_link(root)
    profiler_id = root.attributes.get(attrs.PROFILER_ID) if link is None else link[0]
    return {"profiler_id": profiler_id} if isinstance(profiler_id, str) else None


def tags(span: CompactSpan) -> dict[str, str]:
    """Tags from ``sentry.tag.<key>`` attributes, as Relay accepts them."""
    result: dict[str, str] = {}
    if not _may_name_tags_or_measurements(span.attributes):
        return result
    for key, value in span.attributes.items():
        if not key.startswith(attrs.TAG_PREFIX):
            continue
        name = relay_fields.tag_key(key[len(attrs.TAG_PREFIX) :])
        text = relay_fields.tag_value(value if isinstance(value, str) else str(_json_value(value)))
        if name is not None and text is not None:
            result[name] = text
    return result


def measurements(root: CompactSpan) -> dict[str, Json]:
    """``measurements`` from ``sentry.measurement.<name>`` (+ ``measurement_unit``)."""
    result: dict[str, Json] = {}
    if not _may_name_tags_or_measurements(root.attributes):
        return result
    prefix = attrs.MEASUREMENT_PREFIX
    for key, value in root.attributes.items():
        if not key.startswith(prefix) or isinstance(value, bool):
            continue
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        name = relay_fields.measurement_name(key[len(prefix) :])
        if name is None:
            continue
        unit = root.attributes.get(attrs.MEASUREMENT_UNIT_PREFIX + key[len(prefix) :])
        if not isinstance(unit, str) or relay_fields.measurement_unit(unit) is None:
            unit = ""  # none given, as sentry_sdk sends it (Relay reads "" as "none")
        result[name] = {"value": value, "unit": unit}
    return result


def _seconds(ns: int) -> float:
    return ns / 1e9


def _trace_id(span: CompactSpan) -> str:
    return f"{span.trace_id:032x}"


def _span_id(span_id: int) -> str:
    return f"{span_id:016x}"


def to_trace_context(root: CompactSpan) -> Json:
    """``contexts.trace`` of the transaction whose root is ``root``."""
    op, _ = op_and_description(root)
    parent = root.parent_span_id
    result: Json = {
        "trace_id": _trace_id(root),
        "span_id": _span_id(root.span_id),
        "parent_span_id": None if parent is None else _span_id(parent),
        "description": _explicit_str(root, attrs.DESCRIPTION),
        "origin": origin(root),
        "data": classic_data(root),
    }
    root_status = status(root)
    if root_status is not None:
        result["status"] = root_status
    if op is not None:
        result["op"] = op
    return result


def typed(value: object) -> Json:
    """An attribute value as span v2 writes it: ``{"value": ..., "type": ...}``."""
    if isinstance(value, bool):
        return {"value": value, "type": "boolean"}
    if isinstance(value, int):
        return {"value": value, "type": "integer"}
    if isinstance(value, float):
        return {"value": value, "type": "double"}
    if isinstance(value, (list, tuple)):
        return {
            "value": [
                item if isinstance(item, (str, bool, int, float)) else str(item) for item in value
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
        if description is not None and description != segment_name:
            attributes["sentry.description"] = typed(description)
    sample_rate = span.attributes.get(attrs.SAMPLE_RATE)
    if isinstance(sample_rate, (int, float)) and not isinstance(sample_rate, bool):
        attributes[attrs.SAMPLE_RATE] = typed(_json_scalar(float(sample_rate)))
    result: Json = {
        "trace_id": _trace_id(span),
        "span_id": _span_id(span.span_id),
        "name": segment_name if is_segment else (description or op or span.name),
        "status": "error" if status(span) not in (None, "ok") else "ok",
        "is_segment": is_segment,
        "start_timestamp": _seconds(span.start_ns),
        "end_timestamp": _seconds(span.end_ns),
        "attributes": attributes,
    }
    if span.parent_span_id is not None:
        result["parent_span_id"] = _span_id(span.parent_span_id)
    return result
