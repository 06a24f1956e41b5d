"""Making a ``RecordingSpan``: its class for the ``start_span`` options, its slots filled
without the SDK's constructor, and what it starts with beyond them."""

from typing import Any

from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.span import TraceState
from opentelemetry.util import types

from scopetel._trace_sdk.source import SpanSource
from scopetel._trace_sdk.span import UNSET_STATUS, RecordingSpan

_CLASSES: dict[tuple[bool, bool], type[RecordingSpan]] = {(True, True): RecordingSpan}


def recording_class(record_exception: bool, set_status_on_exception: bool) -> type[RecordingSpan]:
    """The span class for these ``start_span`` options (the defaults: ``RecordingSpan``)."""
    key = (bool(record_exception), bool(set_status_on_exception))
    found = _CLASSES.get(key)
    if found is None:
        found = _CLASSES[key] = type(
            "RecordingSpan",
            (RecordingSpan,),
            {
                "__slots__": (),
                "records_exception": key[0],
                "sets_error_status": key[1],
                "__module__": RecordingSpan.__module__,
            },
        )
    return found


def new_span(
    cls: type[RecordingSpan],
    source: SpanSource,
    name: str,
    trace_id: int,
    span_id: int,
    flags: TraceFlags,
    trace_state: TraceState,
    parent: SpanContext | None,
    kind: SpanKind,
    attributes: dict[str, types.AnyValue],
    start_ns: int,
) -> RecordingSpan:
    """A started span (the caller notifies the processors)."""
    span: RecordingSpan = object.__new__(cls)  # the SDK's __new__ is one more call
    span._source = source
    span._name = name
    span.trace_id = trace_id
    span.span_id = span_id
    span.trace_flags = flags
    span._trace_state = trace_state
    span._parent = parent
    span._kind = kind
    span._attributes = attributes
    span.start_ns = start_ns
    span._end = None
    span._status = UNSET_STATUS
    span._extras = None
    span._context = None
    return span


def start_extras(span: RecordingSpan, links: BoundedList[Any] | None, dropped: int) -> None:
    """Give a new span the links it started with and count the attributes dropped."""
    if links is not None:
        span._extras_of().links = links
    span._dropped(dropped)
