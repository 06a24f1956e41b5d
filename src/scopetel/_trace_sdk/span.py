"""``RecordingSpan``: a sampled (or record-only) span of the lean core.

One object from start to export: the tracer fills its slots, processors get the span
itself at its end, and it reads as an SDK ``ReadableSpan`` (``context``, ``parent``,
``attributes``, ``events``, ``links``, ``status``, ``resource``,
``instrumentation_scope``, dropped counts, ``to_json``) and as the pipeline's
``CompactSpan`` (``trace_id``, ``span_id``, ``parent_span_id``, ``start_ns``, ``end_ns``
…). Its ``SpanContext`` is built the first time it is asked for (a child's start, a
propagator): leaf spans never build one. Attributes live in a plain dict, shared
copy-on-write when the tracer was given a ``SharedAttributes``; events, links and the
dropped-attribute count sit in one ``_Extras`` made by the first event or link.

Like the SDK span, every method is safe to call after the end (a warning, no effect),
and nothing raises into the caller; unlike it there is no lock: two threads that end
the same span at the same moment may both notify the processors.
"""

import logging
import traceback
from collections.abc import Mapping, Sequence
from time import time_ns
from types import TracebackType
from typing import Any, Final

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.sdk.util.instrumentation import InstrumentationInfo, InstrumentationScope
from opentelemetry.semconv.attributes.exception_attributes import (
    EXCEPTION_ESCAPED,
    EXCEPTION_MESSAGE,
    EXCEPTION_STACKTRACE,
    EXCEPTION_TYPE,
)
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState
from opentelemetry.util import types

from scopetel._internal_errors import report_internal_error
from scopetel._semconv.profile_link import ProfileLink, with_link
from scopetel._trace_sdk import attributes as _attributes
from scopetel._trace_sdk.source import SpanSource, notify_end

LOGGER: Final = logging.getLogger("opentelemetry.sdk.trace")
UNSET_STATUS: Final = Status(StatusCode.UNSET)
_OK: Final = StatusCode.OK
_UNSET: Final = StatusCode.UNSET
_SAMPLED: Final = TraceFlags.SAMPLED


class SharedAttributes(dict[str, types.AnyValue]):
    """Attributes several spans start with and share until one of them writes."""


class _Extras:
    """What most spans never have: events, links, attributes dropped by the limits, a
    link to the profile (``_semconv.profile_link``)."""

    __slots__ = (
        "dropped_attributes",
        "events",
        "links",
        "profile",
    )

    def __init__(self) -> None:
        self.dropped_attributes = 0
        self.events: BoundedList[Any] | None = None
        self.links: BoundedList[Any] | None = None
        self.profile: ProfileLink | None = None


def valid_link(context: SpanContext | None, attributes: types.Attributes) -> bool:
    """A link worth keeping, as the SDK decides: a valid context, or data on it."""
    return bool(context and (context.is_valid or attributes or context.trace_state))


def bounded_link(link: Link, source: SpanSource) -> Link:
    """A copy of ``link`` whose attributes are held to the link limits."""
    limits = source.limits
    attributes = BoundedAttributes(
        limits.max_link_attributes,
        link.attributes,
        max_value_len=limits.max_attribute_length,
        immutable=True,
    )
    return Link(link.context, attributes)


class RecordingSpan(sdk_trace.Span):
    """A span that records; see the module docstring.

    An SDK ``Span`` (and so a ``ReadableSpan``) for every ``isinstance`` check, with
    every method of its own: the SDK's constructor and private fields are never used.
    """

    __slots__ = (
        "_attributes",
        "_context",
        "_end",
        "_extras",
        "_kind",
        "_name",
        "_parent",
        "_source",
        "_status",
        "_trace_state",
        "span_id",
        "start_ns",
        "trace_flags",
        "trace_id",
    )

    # ``start_span(record_exception=..., set_status_on_exception=...)``: per class, so
    # that the common spans carry no field for them (see ``recording_class``)
    records_exception = True
    sets_error_status = True

    _attributes: dict[str, types.AnyValue]
    _context: SpanContext | None
    _end: int | None
    _extras: _Extras | None
    trace_flags: TraceFlags
    _kind: SpanKind
    _name: str
    _parent: SpanContext | None
    _source: SpanSource
    _status: Status
    _trace_state: TraceState
    span_id: int
    start_ns: int
    trace_id: int

    # -- the OpenTelemetry Span API ------------------------------------------------------
    def get_span_context(self) -> SpanContext:
        context = self._context
        if context is None:
            context = self._context = SpanContext(
                self.trace_id, self.span_id, False, self.trace_flags, self._trace_state
            )
        return context

    def is_recording(self) -> bool:
        return self._end is None

    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        if self._end is not None:
            LOGGER.warning("Setting attribute on ended span.")
            return
        attributes = self._attributes
        if type(attributes) is not dict:  # shared: copy on the first write
            attributes = self._attributes = dict(attributes)
        source = self._source
        if (
            type(key) is str
            and key
            and type(value) in _attributes.SCALARS
            and (type(value) is not str or source.max_length is None)
        ):
            max_count = source.max_attributes
            if key in attributes:
                del attributes[key]
            elif max_count is not None and len(attributes) >= max_count:
                self._dropped(_attributes.put(attributes, key, value, max_count))
                return
            attributes[key] = value
            return
        self._dropped(
            _attributes.set_one(attributes, key, value, source.max_attributes, source.max_length)
        )

    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        if self._end is not None:
            LOGGER.warning("Setting attribute on ended span.")
            return
        own = self._attributes
        if type(own) is not dict:
            own = self._attributes = dict(own)
        source = self._source
        try:
            dropped = _attributes.set_many(
                own, attributes, source.max_attributes, source.max_length
            )
        except Exception:  # a mapping that cannot be read
            LOGGER.warning("set_attributes: could not read %r", type(attributes))
            return
        self._dropped(dropped)

    def _dropped(self, count: int) -> None:
        if count:
            self._extras_of().dropped_attributes += count

    def _extras_of(self) -> _Extras:
        extras = self._extras
        if extras is None:
            extras = self._extras = _Extras()
        return extras

    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
    ) -> None:
        limits = self._source.limits
        bounded = BoundedAttributes(
            limits.max_event_attributes,
            attributes,
            max_value_len=limits.max_attribute_length,
            immutable=True,
        )
        event = Event(name=name, attributes=bounded, timestamp=timestamp)
        if self._end is not None:
            LOGGER.warning("Tried calling _add_event on an ended span.")
            return
        extras = self._extras_of()
        if extras.events is None:
            extras.events = BoundedList(limits.max_events)
        extras.events.append(event)

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if not valid_link(context, attributes):
            return
        link = bounded_link(Link(context, attributes), self._source)
        if self._end is not None:
            LOGGER.warning("Tried calling _add_link on an ended span.")
            return
        extras = self._extras_of()
        if extras.links is None:
            extras.links = BoundedList(self._source.limits.max_links)
        extras.links.append(link)

    def update_name(self, name: str) -> None:
        if self._end is not None:
            LOGGER.warning("Tried calling update_name on an ended span.")
            return
        self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._end is not None:
            LOGGER.warning("Tried calling set_status on an ended span.")
            return
        if self._status.status_code is _OK:  # OK is final
            return
        if isinstance(status, Status):
            if status.status_code is _UNSET:
                return
            if description is not None:
                LOGGER.warning(
                    "Description %s ignored. Use either `Status` or `(StatusCode, Description)`",
                    description,
                )
            self._status = status
        elif isinstance(status, StatusCode) and status is not _UNSET:
            self._status = Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        kind = type(exception)
        module = kind.__module__
        try:
            message = str(exception)
            stacktrace = "".join(traceback.format_exception(exception))
        except Exception:  # an exception whose text cannot be made
            message, stacktrace = f"<{kind.__qualname__}>", ""
        recorded: dict[str, types.AnyValue] = {
            EXCEPTION_TYPE: f"{module}.{kind.__qualname__}"
            if module and module != "builtins"
            else kind.__qualname__,
            EXCEPTION_MESSAGE: message,
            EXCEPTION_STACKTRACE: stacktrace,
            EXCEPTION_ESCAPED: str(escaped),
        }
        if attributes:
            recorded.update(attributes)
        self.add_event(name="exception", attributes=recorded, timestamp=timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self._end is not None:
            LOGGER.warning("Calling end() on an ended span.")
            return
        self._end = time_ns() if end_time is None else end_time
        pipeline = self._source.pipeline
        if pipeline.ending:
            notify_end(pipeline.processors, pipeline.ending, self)
            return
        for processor in pipeline.processors:
            try:
                processor.on_end(self)
            except Exception:
                report_internal_error("span processor on_end")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if exc_val is not None and self._end is None:
            if self.records_exception:
                self.record_exception(exc_val, escaped=True)
            if self.sets_error_status:
                self.set_status(Status(StatusCode.ERROR, f"{type(exc_val).__name__}: {exc_val}"))
        self.end()

    # -- ReadableSpan --------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def context(self) -> SpanContext:
        return self.get_span_context()

    @property
    def parent(self) -> SpanContext | None:
        return self._parent

    @property
    def kind(self) -> SpanKind:
        return self._kind

    @property
    def start_time(self) -> int:
        return self.start_ns

    @property
    def end_time(self) -> int | None:
        return self._end

    @property
    def status(self) -> Status:
        return self._status

    @property
    def attributes(self) -> Mapping[str, types.AnyValue]:
        """The attributes themselves (read them, never change them)."""
        return self._attributes

    @property
    def events(self) -> Sequence[Event]:
        extras = self._extras
        return () if extras is None or extras.events is None else tuple(extras.events)

    @property
    def links(self) -> Sequence[Link]:
        extras = self._extras
        return () if extras is None or extras.links is None else tuple(extras.links)

    @property
    def profile_link(self) -> ProfileLink | None:
        """The profile this span is linked to (a transaction's root while profiling)."""
        extras = self._extras
        return None if extras is None else extras.profile

    @profile_link.setter
    def profile_link(self, link: ProfileLink | None) -> None:
        self._extras_of().profile = link

    @property
    def dropped_attributes(self) -> int:
        extras = self._extras
        return 0 if extras is None else extras.dropped_attributes

    @property
    def dropped_events(self) -> int:
        extras = self._extras
        return 0 if extras is None or extras.events is None else extras.events.dropped

    @property
    def dropped_links(self) -> int:
        extras = self._extras
        return 0 if extras is None or extras.links is None else extras.links.dropped

    @property
    def resource(self) -> Resource:
        return self._source.resource

    @property
    def instrumentation_scope(self) -> InstrumentationScope:
        return self._source.scope

    @property
    def instrumentation_info(self) -> InstrumentationInfo:
        return self._source.info

    def readable(self) -> ReadableSpan:
        """An SDK ``ReadableSpan`` with the same data (a copy)."""
        attributes = BoundedAttributes(
            None, with_link(self._attributes, self.profile_link), immutable=True
        )
        attributes.dropped = self.dropped_attributes
        extras = self._extras
        return ReadableSpan(
            name=self._name,
            context=self.get_span_context(),
            parent=self._parent,
            resource=self._source.resource,
            attributes=attributes,
            events=BoundedList(0) if extras is None or extras.events is None else extras.events,
            links=BoundedList(0) if extras is None or extras.links is None else extras.links,
            kind=self._kind,
            status=self._status,
            start_time=self.start_ns,
            end_time=self._end,
            instrumentation_scope=self._source.scope,
        )

    def _readable_span(self) -> ReadableSpan:
        return self

    def start(self, start_time: int | None = None, parent_context: object = None) -> None:
        LOGGER.warning("Calling start() on a started span.")

    def to_json(self, indent: int | None = 4) -> str:
        text: str = self.readable().to_json(indent)
        return text

    # -- the pipeline's CompactSpan fields ------------------------------------------------
    @property
    def sampled(self) -> bool:
        return bool(self.trace_flags & _SAMPLED)

    @property
    def parent_span_id(self) -> int | None:
        parent = self._parent
        return None if parent is None else parent.span_id

    @property
    def parent_is_remote(self) -> bool:
        parent = self._parent
        return parent is not None and parent.is_remote

    @property
    def is_local_root(self) -> bool:
        parent = self._parent
        return parent is None or parent.is_remote

    @property
    def end_ns(self) -> int:
        """The end, never before the start (Relay refuses a span that ends before it starts)."""
        end = self._end
        return end if end is not None and end >= self.start_ns else self.start_ns

    @property
    def status_code(self) -> StatusCode:
        return self._status.status_code

    @property
    def status_description(self) -> str | None:
        return self._status.description

    @property
    def scope_name(self) -> str:
        return self._source.scope.name

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name="{self._name}", context={self.get_span_context()})'


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
                "__module__": __name__,
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


def links_of(links: Sequence[Link] | None, source: SpanSource) -> BoundedList[Any] | None:
    """The links a span starts with, held to the limits (None for none)."""
    valid = [
        bounded_link(link, source)
        for link in links or ()
        if link and valid_link(link.context, link.attributes)
    ]
    return BoundedList.from_seq(source.limits.max_links, valid) if valid else None


def start_extras(span: RecordingSpan, links: BoundedList[Any] | None, dropped: int) -> None:
    """Give a new span the links it started with and count the attributes dropped."""
    if links is not None:
        span._extras_of().links = links
    span._dropped(dropped)
