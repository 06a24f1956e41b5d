"""Records the span pipeline hands on: finished spans, segments, Context values.

Segments buffer their spans until the root (and its open children) end. An SDK
``ReadableSpan`` keeps its resource, a lock-guarded attribute mapping, events and
links alive (about 2.9 KB each); a ``CompactSpan`` keeps only what the Sentry
mapping reads, in ``__slots__``, with the attributes copied into a plain dict
(about 0.5 KB for a typical span, measured in ``tests/test_segments.py``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Self

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util.types import AttributeValue

from scopetel._context.active_scopes import current_scope_in, isolation_scope_in
from scopetel._context.keys import DSC
from scopetel._context.scope import Scope
from scopetel._semconv.profile_link import with_link
from scopetel._serialize import safe_str
from scopetel._trace_sdk.span import RecordingSpan

_EMPTY: Mapping[str, AttributeValue] = {}


class CompactSpan:
    """What a finished span contributes to Sentry data; built once in ``on_end``.

    Ids are ints as OpenTelemetry keeps them; ``parent_span_id`` is ``None`` for a
    span without a parent. Times are nanoseconds since the epoch. Treat instances
    and their ``attributes`` as read-only: they are handed to other threads.
    """

    __slots__ = (
        "attributes",
        "end_ns",
        "kind",
        "name",
        "parent_is_remote",
        "parent_span_id",
        "scope_name",
        "span_id",
        "start_ns",
        "status_code",
        "status_description",
        "trace_id",
    )

    def __init__(
        self,
        trace_id: int,
        span_id: int,
        parent_span_id: int | None,
        parent_is_remote: bool,
        name: str,
        kind: SpanKind,
        start_ns: int,
        end_ns: int,
        status_code: StatusCode,
        status_description: str | None,
        attributes: Mapping[str, AttributeValue],
        scope_name: str,
    ) -> None:
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_span_id = parent_span_id
        self.parent_is_remote = parent_is_remote
        self.name = name
        self.kind = kind
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.status_code = status_code
        self.status_description = status_description
        self.attributes = attributes
        self.scope_name = scope_name

    @classmethod
    def if_sampled(cls, span: ReadableSpan) -> Self | None:
        """The record of an ended span that was sampled; None for any other.

        A lean span is its own record: it has every field of a ``CompactSpan``, and
        nothing in it changes once it has ended.
        """
        if type(span) is RecordingSpan and type(span.name) is str:
            return span if span.trace_flags & 1 else None  # type: ignore[return-value]
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return None
        return cls.from_readable(span)

    @classmethod
    def from_readable(cls, span: ReadableSpan) -> Self | None:
        """Copy what Sentry needs out of an ended SDK span; ``None`` without a context."""
        context = span.context
        if context is None:
            return None
        parent = span.parent
        source = span.attributes
        if isinstance(source, Mapping) and isinstance(span, RecordingSpan):
            # a lean span of another class (start_span(record_exception=False), as
            # aiohttp's server spans are): its link to the profile goes as attributes
            source = with_link(source, span.profile_link)
        # A comprehension is the fastest public way to copy the SDK's mapping; spans
        # without attributes share one empty mapping.
        attributes = {key: source[key] for key in source} if source else _EMPTY
        scope = span.instrumentation_scope
        start = span.start_time or 0
        end = span.end_time or start
        status = span.status
        name = span.name
        return cls(
            context.trace_id,
            context.span_id,
            None if parent is None else parent.span_id,
            parent is not None and parent.is_remote,
            name if type(name) is str else safe_str(name),  # another tracer's odd name
            span.kind,
            start,
            end if end >= start else start,  # Relay refuses a span that ends before it starts
            status.status_code,
            status.description,
            attributes,
            "" if scope is None else scope.name,
        )

    @property
    def sampled(self) -> bool:
        return True  # only sampled spans get a record

    @property
    def is_local_root(self) -> bool:
        """True without a parent or with a parent in another process."""
        return self.parent_span_id is None or self.parent_is_remote

    def __repr__(self) -> str:
        return (
            f"CompactSpan(name={self.name!r}, span_id={self.span_id:016x}, "
            f"parent_span_id={self.parent_span_id!r})"
        )


@dataclass(frozen=True, slots=True)
class ContextValues:
    """scopetel's values in one OpenTelemetry Context (opaque objects here)."""

    current_scope: object | None = None
    isolation_scope: object | None = None
    dsc: object | None = None

    @classmethod
    def of(cls, context: Context | None) -> Self:
        """Read the values from ``context`` (the current Context if ``None``); outside any
        scope block the scopes are the process-wide ones, as for error events."""
        ctx = otel_context.get_current() if context is None else context
        return cls(current_scope_in(ctx), isolation_scope_in(ctx), ctx.get(DSC))


NO_VALUES: Final = ContextValues()


def snapshots(*values: ContextValues) -> list[ContextValues]:
    """``values`` with their scopes as they are now (``Scope.snapshot``): a segment is
    turned into a transaction later, in the emitter's thread, from what its scopes held
    when it was emitted. A scope held twice stays one object (it is applied once)."""
    copies: dict[int, object] = {}

    def frozen(scope: object | None) -> object | None:
        if not isinstance(scope, Scope):
            return scope
        copy = copies.get(id(scope))
        if copy is None:
            copy = copies[id(scope)] = scope.snapshot()
        return copy

    return [
        ContextValues(frozen(value.current_scope), frozen(value.isolation_scope), value.dsc)
        for value in values
    ]


def sampled_span_id(span: ReadableSpan) -> int | None:
    """The span id of a started span that is sampled; None for any other."""
    if type(span) is RecordingSpan:
        return span.span_id if span.trace_flags & 1 else None
    context = span.context
    return context.span_id if context is not None and context.trace_flags.sampled else None


@dataclass(slots=True)
class Segment:
    """One local root and its buffered descendants: a Sentry ``transaction``.

    ``at_start`` holds the values of the Context the root started in (its parent
    context), ``at_end`` those current when the root ended. A ``follow_up``
    segment's root has a local parent that went out in an earlier segment; it
    carries the values of the segment it continues.
    """

    root: CompactSpan
    spans: list[CompactSpan]
    dropped_spans: int = 0
    open_children_at_emit: int = 0
    follow_up: bool = False
    at_start: ContextValues = field(default=NO_VALUES)
    at_end: ContextValues = field(default=NO_VALUES)
