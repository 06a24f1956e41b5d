"""Entries of a transaction's ``spans`` list: built for every span the emitter sends.

What the general rules (``mapping``) infer for a span (op, description, status, origin,
tags, data) depends only on its name, kind, status code, instrumentation scope and
attributes. The spans of one code path repeat those exactly (the same query of the same
ORM, the same template), so the inferred part is remembered in a small bounded memo
keyed by them; an entry is then its ids and times around fresh copies of the
remembered ``tags`` and ``data`` (hooks may change an event in place). A span of
scopetel's API that nothing wrote to needs no inference at all (``_untouched_op``).
"""

from collections.abc import Mapping
from typing import Any, Final

from opentelemetry.trace import StatusCode
from opentelemetry.util.types import AttributeValue

from scopetel._pipeline import mapping
from scopetel._pipeline.records import CompactSpan
from scopetel._semconv import sentry_attributes as attrs
from scopetel._trace_sdk.span import SharedAttributes

Json = dict[str, Any]
Inferred = tuple[str | None, str | None, str | None, str, dict[str, str], Json]
"""op, description, status, origin, tags, data."""

MAX_REMEMBERED: Final = 512
"""Span shapes kept (the memo is emptied when full: a bound, not a policy)."""
MAX_REMEMBERED_TEXT: Final = 2048
"""Spans whose attribute texts are longer in total are never remembered (memory bound)."""
_PLAIN: Final = frozenset({str, int, bool})
"""Attribute types of spans that are remembered: an equal value of the same type is
sent the same (unlike floats: ``0.0 == -0.0``)."""
_IMMUTABLE: Final = frozenset({str, int, float, bool, type(None)})

_remembered: dict[tuple[object, ...], Inferred] = {}


def to_transaction_span(span: CompactSpan, trace_id: str | None = None) -> Json:
    """An entry of a transaction event's ``spans`` list (``trace_id``: the span's trace
    id in hex, when the caller has it already)."""
    if trace_id is None:
        trace_id = f"{span.trace_id:032x}"
    attributes, name, status_code, scope = (
        span.attributes,
        span.name,
        span.status_code,
        span.scope_name,
    )
    op = _untouched_op(attributes, status_code, scope)
    if op is not None:  # the most common span: nothing to infer
        description = None if name == op else name
        return _entry(span, trace_id, (op, description, None, attrs.DEFAULT_ORIGIN, {}, {}))
    try:
        key: tuple[object, ...] | None = (
            name,
            span.kind,
            status_code,
            scope,
            tuple(attributes.items()),
            tuple(map(type, attributes.values())),  # 1, True and 1.0 are equal keys
        )
        found = _remembered.get(key)  # type: ignore[arg-type]
    except TypeError:  # an unhashable value (another provider's list): not remembered
        key = found = None
    if found is None:
        found = _infer(span)
        if key is not None and _rememberable(found, attributes):
            if len(_remembered) >= MAX_REMEMBERED:
                _remembered.clear()
            _remembered[key] = found
    op, description, status, origin, tags, data = found
    return _entry(span, trace_id, (op, description, status, origin, {**tags}, {**data}))


def _general_span(span: CompactSpan) -> Json:
    """The entry by the general rules only (what the shortcut and the memo must equal)."""
    return _entry(span, f"{span.trace_id:032x}", _infer(span))


def _untouched_op(
    attributes: Mapping[str, AttributeValue], status_code: StatusCode, scope: str
) -> str | None:
    """The op of a span of scopetel's API that nothing wrote to since
    ``start_span(op=, name=)``: its attributes are still the ``{sentry.op: op}`` its op
    shares with other spans, so it has no data, tags, status or origin to infer."""
    if type(attributes) is not SharedAttributes or status_code is not StatusCode.UNSET:
        return None
    op = attributes.get(attrs.OP)
    return op if type(op) is str and op and scope == mapping.SCOPETEL_TRACER else None


def _infer(span: CompactSpan) -> Inferred:
    op, description = mapping.op_and_description(span)
    status = mapping.status(span)
    tags = {**mapping.status_tags(span, status), **mapping.tags(span)}
    return op, description, status, mapping.origin(span), tags, mapping.classic_data(span)


def _rememberable(inferred: Inferred, attributes: Any) -> bool:
    """Only plain values (a copy of the dicts then shares nothing mutable), and only
    spans of bounded size."""
    data = inferred[5]
    if not all(type(value) in _IMMUTABLE for value in data.values()):
        return False
    size = 0
    for value in attributes.values():
        if type(value) is str:
            size += len(value)
        elif type(value) not in _PLAIN:
            return False
    return size <= MAX_REMEMBERED_TEXT


def _entry(span: CompactSpan, trace_id: str, inferred: Inferred) -> Json:
    op, description, status, origin, tags, data = inferred
    parent = span.parent_span_id
    result: Json = {
        "trace_id": trace_id,
        "span_id": f"{span.span_id:016x}",
        "same_process_as_parent": not span.parent_is_remote,
        "description": description,
        "start_timestamp": span.start_ns / 1e9,
        "timestamp": span.end_ns / 1e9,
        "origin": origin,
        "tags": tags,
        "data": data,
    }
    if status is not None:
        result["status"] = status
    if parent is not None:
        result["parent_span_id"] = f"{parent:016x}"
    if op is not None:
        result["op"] = op
    return result
