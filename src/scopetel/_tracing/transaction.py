"""Starting spans and transactions, and finding the active one.

A transaction is a *segment root*: a span with no local parent. ``start_span`` makes a
child of the active span (ours or any instrumentation's), or a root when there is none.
"""

import logging
from collections.abc import Mapping
from typing import Any, Self

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import (
    INVALID_SPAN,
    INVALID_SPAN_CONTEXT,
    NonRecordingSpan,
    SpanContext,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.util.types import AttributeValue

from scopetel._coerce import as_dict, dropped, optional_text, pairs, text, text_headers
from scopetel._context import entries
from scopetel._context.keys import CUSTOM_SAMPLING_CONTEXT, DSC, FORCED_SAMPLED, SPAN, SPAN_FACADE
from scopetel._propagation.dsc import DynamicSamplingContext
from scopetel._propagation.headers import extract_incoming
from scopetel._propagation.propagator import RemoteParentSpan
from scopetel._semconv import sentry_attributes as attrs
from scopetel._trace_sdk.span import RecordingSpan
from scopetel._tracing.preset_trace_ids import new_trace_id, start_with_trace_id
from scopetel._tracing.span import TRACER_NAME, Span, _tracer, start_otel_span
from scopetel._tracing.span_values import to_ns
from scopetel._tracing.trace_identity import frozen_dsc

_TRANSACTION_FIELDS = frozenset(
    {
        "name",
        "op",
        "source",
        "description",
        "origin",
        "start_timestamp",
        "trace_id",
        "parent_span_id",
        "parent_sampled",
        "sampled",
        "status",
        "attributes",
        "tags",
        "data",
        # accepted for sentry_sdk compatibility, without effect here:
        "same_process_as_parent",
        "instrumenter",
        "scope",
        "hub",
        "containing_transaction",
        "only_if_parent",
        "baggage",
    }
)
LOGGER = logging.getLogger("scopetel")


class _PendingSpan(NonRecordingSpan):
    """Stands in for a transaction's span until it starts; keeps what is set on it."""

    def __init__(self) -> None:
        super().__init__(INVALID_SPAN_CONTEXT)
        self.attributes: dict[str, AttributeValue] = {}
        self.status: Status | None = None

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        self.attributes.update(attributes)

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        self.status = status if isinstance(status, Status) else Status(status, description)


class Transaction(Span):
    """A segment root. Unstarted until passed to ``start_transaction`` (or entered)."""

    __slots__ = (
        "_dsc",
        "_origin",
        "_parent",
        "_parent_sampled",
        "_pending_name",
        "_pending_op",
        "_preset_trace_id",
        "_sampled",
        "_source",
        "_start",
    )

    def __init__(
        self,
        name: str | None = None,
        op: str | None = None,
        source: str = "custom",
        *,
        parent: SpanContext | None = None,
        parent_sampled: bool | None = None,
        dsc: DynamicSamplingContext | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - _TRANSACTION_FIELDS
        if unknown:
            LOGGER.warning("scopetel: ignoring transaction argument(s) %s", sorted(unknown))
        super().__init__(_PendingSpan())
        self._sampled = kwargs.get("sampled")
        for key, value in pairs(kwargs.get("tags"), "tags"):
            self.set_tag(text(key, "tag key"), value)
        data = [*pairs(kwargs.get("data"), "data"), *pairs(kwargs.get("attributes"), "attributes")]
        for key, value in data:
            self.set_data(text(key, "data key"), value)
        status = optional_text(kwargs.get("status"), "status")
        if status:
            self.set_status(status)
        self._pending_name = (
            optional_text(name, "transaction name")
            or optional_text(kwargs.get("description"), "description")
            or "<unlabeled transaction>"
        )
        self._pending_op = optional_text(op, "op")
        self._source = optional_text(source, "source") or "custom"
        self._origin = optional_text(kwargs.get("origin"), "origin")
        self._start = kwargs.get("start_timestamp")
        self._parent = parent if isinstance(parent, SpanContext) else _parent_from_kwargs(kwargs)
        if not isinstance(parent, SpanContext) and self._parent is not None:
            parent_sampled = kwargs.get("parent_sampled")
        # None: the caller deferred the decision
        self._parent_sampled = parent_sampled if isinstance(parent_sampled, bool) else None
        self._dsc = dsc if isinstance(dsc, DynamicSamplingContext) else None
        self._preset_trace_id: int | None = None  # handed out before the start

    @property
    def started(self) -> bool:
        return not isinstance(self._otel, _PendingSpan)

    @property
    def name(self) -> str | None:
        return super().name if self.started else self._pending_name

    @name.setter
    def name(self, value: str) -> None:
        name = text(value, "transaction name")
        if self.started:
            self._otel.update_name(name)
        else:
            self._pending_name = name

    @property
    def source(self) -> str:
        value = self._get(attrs.SOURCE) if self.started else None
        return value if isinstance(value, str) else self._source

    @source.setter
    def source(self, value: str) -> None:
        self._source = text(value, "source")
        if self.started:
            self._otel.set_attribute(attrs.SOURCE, self._source)

    @property
    def op(self) -> str | None:
        return super().op if self.started else self._pending_op

    @op.setter
    def op(self, value: str | None) -> None:
        self._pending_op = optional_text(value, "op")
        if self.started and self._pending_op is not None:
            self._otel.set_attribute(attrs.OP, self._pending_op)

    @property
    def trace_id(self) -> str:
        """The trace id; before the start too (the started span gets the same one)."""
        if self.started:
            return super().trace_id
        if self._parent is not None:
            return format(self._parent.trace_id, "032x")
        if self._preset_trace_id is None:
            self._preset_trace_id = new_trace_id()
        return format(self._preset_trace_id, "032x")

    @property
    def parent_span_id(self) -> str | None:
        if self._parent is not None:
            return format(self._parent.span_id, "016x")
        return None

    @property
    def containing_transaction(self) -> "Transaction":
        return self

    @property
    def incoming_dsc(self) -> DynamicSamplingContext | None:
        """The dynamic sampling context received with the trace, if any."""
        return self._dsc

    def start(self, custom_sampling_context: dict[str, Any] | None = None) -> Self:
        """Start the root span (once)."""
        if self.started:
            return self
        current = entries.current()
        parent_span: otel_trace.Span = INVALID_SPAN
        if self._parent is not None:
            parent_span = RemoteParentSpan(self._parent, self._parent_sampled)
        elif self._preset_trace_id is None and (remote := _remote_parent_of(current)) is not None:
            parent_span = remote
            self._parent = remote.get_span_context()
        ctx = otel_trace.set_span_in_context(parent_span, current)
        custom = (
            None
            if custom_sampling_context is None
            else as_dict(custom_sampling_context, "custom_sampling_context")
        )
        ctx = Context(
            {
                **ctx,
                DSC: self._dsc,
                CUSTOM_SAMPLING_CONTEXT: custom,
                FORCED_SAMPLED: self._sampled if isinstance(self._sampled, bool) else None,
            }
        )
        pending = self._otel
        assert isinstance(pending, _PendingSpan)
        attributes: dict[str, Any] = {**pending.attributes, attrs.SOURCE: self._source}
        if self._pending_op:
            attributes[attrs.OP] = self._pending_op
        if self._origin:
            attributes[attrs.ORIGIN] = self._origin
        # A tracer made now has the provider's current id generator (see preset_trace_ids)
        tracer = _tracer if self._preset_trace_id is None else otel_trace.get_tracer(TRACER_NAME)
        self._otel = start_with_trace_id(
            self._preset_trace_id,
            lambda: tracer.start_span(
                self._pending_name,
                context=ctx,
                attributes=attributes,
                start_time=to_ns(self._start, "start_timestamp"),
            ),
        )
        if pending.status is not None:
            self._otel.set_status(pending.status)
        return self

    def __enter__(self) -> Self:
        self.start()
        return super().__enter__()

    def _add_context_values(self, values: dict[str, object]) -> None:
        values[DSC] = self._dsc

    def start_child(
        self,
        op: str | None = None,
        name: str | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> Span:
        self.start()
        return super().start_child(op, name, description, **kwargs)


def _parent_from_kwargs(kwargs: dict[str, Any]) -> SpanContext | None:
    trace_id = _hex_id(kwargs.get("trace_id"), 32)
    span_id = _hex_id(kwargs.get("parent_span_id"), 16)
    if trace_id is None or span_id is None:
        return None
    sampled = kwargs.get("parent_sampled") is True
    parent = SpanContext(
        trace_id,
        span_id,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED if sampled else 0),
    )
    return parent if parent.is_valid else None


def _hex_id(value: object, digits: int) -> int | None:
    """An id given as up to ``digits`` hex digits; None for anything else."""
    if not isinstance(value, str) or not 0 < len(value) <= digits:
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None


def _remote_parent_of(ctx: Context) -> otel_trace.Span | None:
    """A remote span in the Context (left by a propagator's extract) to continue."""
    span = otel_trace.get_current_span(ctx)
    span_ctx = span.get_span_context()
    return span if span_ctx.is_valid and span_ctx.is_remote else None


def start_transaction(
    transaction: Transaction | None = None,
    custom_sampling_context: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Transaction:
    """Start a segment root: a new trace, or the one ``transaction`` continues."""
    given: object = transaction  # callers pass whatever they got
    if not isinstance(given, Transaction):
        if given is not None:
            dropped("start_transaction", given, "is not a Transaction; a new one is started:")
        given = Transaction(**kwargs)
    return given.start(custom_sampling_context)


def start_span(
    *,
    op: str | None = None,
    name: str | None = None,
    description: str | None = None,
    **kwargs: Any,
) -> Span:
    """A child of the active span; a new transaction when no span is active."""
    if name is not None and type(name) is not str:
        name = text(name, "span name")
    ctx = entries.current()
    parent = ctx.get(SPAN)
    parent_id: int
    if type(parent) is RecordingSpan:  # a lean span: valid and local
        parent_id = parent.span_id
    else:
        if not isinstance(parent, otel_trace.Span):
            parent = INVALID_SPAN
        parent_ctx = parent.get_span_context()
        if not parent_ctx.is_valid or parent_ctx.is_remote:
            return start_transaction(name=name or description, op=op, **kwargs)
        parent_id = parent_ctx.span_id
    facade = ctx.get(SPAN_FACADE)
    segment = None
    if isinstance(facade, Span) and facade._otel is parent:
        segment = facade.containing_transaction
    return start_otel_span(ctx, op, name or description, segment, kwargs, parent_id)


def get_current_span() -> Span | None:
    """The active span (ours or any instrumentation's), or None."""
    ctx = entries.current()
    otel = otel_trace.get_current_span(ctx)
    span_ctx = otel.get_span_context()
    if not span_ctx.is_valid or span_ctx.is_remote:
        return None
    facade = ctx.get(SPAN_FACADE)
    if isinstance(facade, Span) and facade.otel_span is otel:
        return facade
    return Span(otel)


def continue_trace(
    environ_or_headers: Mapping[str, Any],
    op: str | None = None,
    name: str | None = None,
    source: str | None = None,
    origin: str = "manual",
) -> Transaction:
    """A transaction continuing the trace in the headers (a new trace if absent/invalid)."""
    incoming = extract_incoming(text_headers(environ_or_headers, "continue_trace headers"))
    kwargs: dict[str, Any] = {"origin": origin}
    source = optional_text(source, "source") or "custom"
    if incoming is None:
        return Transaction(name, op, source, **kwargs)
    if incoming.dsc is not None:
        received = incoming.dsc
        frozen_dsc(incoming.span_context.trace_id, lambda: received)
    return Transaction(
        name,
        op,
        source,
        parent=incoming.span_context,
        parent_sampled=incoming.parent_sampled,
        dsc=incoming.dsc,
        **kwargs,
    )
