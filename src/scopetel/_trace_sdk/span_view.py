"""How a ``RecordingSpan`` reads: as an SDK ``ReadableSpan`` and as the pipeline's
``CompactSpan`` (``SpanView``: an SDK ``Span`` for every ``isinstance`` check, whose
fields are ``RecordingSpan``'s slots)."""

from collections.abc import Mapping, Sequence
from typing import Final

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.sdk.util.instrumentation import InstrumentationInfo, InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState
from opentelemetry.util import types

from scopetel._semconv.profile_link import ProfileLink, with_link
from scopetel._trace_sdk.source import SpanSource
from scopetel._trace_sdk.span_extras import SpanExtras

_SAMPLED: Final = TraceFlags.SAMPLED


class SpanView(sdk_trace.Span):
    """The read side of ``RecordingSpan`` (which declares the slots)."""

    __slots__ = ()

    _attributes: dict[str, types.AnyValue]
    _context: SpanContext | None
    _end: int | None
    _extras: SpanExtras | None
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

    def get_span_context(self) -> SpanContext:
        context = self._context
        if context is None:
            context = self._context = SpanContext(
                self.trace_id, self.span_id, False, self.trace_flags, self._trace_state
            )
        return context

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

    def _extras_of(self) -> SpanExtras:
        extras = self._extras
        if extras is None:
            extras = self._extras = SpanExtras()
        return extras

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
