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

from scopetel._context import entries
from scopetel._context.keys import CUSTOM_SAMPLING_CONTEXT, DSC, FORCED_SAMPLED, SPAN_FACADE
from scopetel._propagation.dsc import DynamicSamplingContext
from scopetel._propagation.headers import extract_incoming
from scopetel._propagation.propagator import RemoteParentSpan
from scopetel._semconv import sentry_attributes as attrs
from scopetel._tracing.span import Span, _tracer, start_otel_span, to_ns
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
        for key, value in (kwargs.get("tags") or {}).items():
            self.set_tag(key, value)
        for key, value in {
            **(kwargs.get("data") or {}),
            **(kwargs.get("attributes") or {}),
        }.items():
            self.set_data(key, value)
        if kwargs.get("status"):
            self.set_status(str(kwargs["status"]))
        self._pending_name = name or kwargs.get("description") or "<unlabeled transaction>"
        self._pending_op = op
        self._source = source
        self._origin = kwargs.get("origin")
        self._start = kwargs.get("start_timestamp")
        self._parent = parent or _parent_from_kwargs(kwargs)
        if parent is None and self._parent is not None:
            parent_sampled = kwargs.get("parent_sampled")
        self._parent_sampled = parent_sampled  # None: the caller deferred the decision
        self._dsc = dsc

    @property
    def started(self) -> bool:
        return not isinstance(self._otel, _PendingSpan)

    @property
    def name(self) -> str | None:
        return super().name if self.started else self._pending_name

    @name.setter
    def name(self, value: str) -> None:
        if self.started:
            self._otel.update_name(value)
        else:
            self._pending_name = value

    @property
    def source(self) -> str:
        value = self._get(attrs.SOURCE) if self.started else None
        return value if isinstance(value, str) else self._source

    @source.setter
    def source(self, value: str) -> None:
        self._source = value
        if self.started:
            self._otel.set_attribute(attrs.SOURCE, value)

    @property
    def op(self) -> str | None:
        return super().op if self.started else self._pending_op

    @op.setter
    def op(self, value: str | None) -> None:
        self._pending_op = value
        if self.started and value is not None:
            self._otel.set_attribute(attrs.OP, value)

    @property
    def trace_id(self) -> str:
        if not self.started and self._parent is not None:
            return format(self._parent.trace_id, "032x")
        return super().trace_id

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
        elif (remote := _remote_parent_of(current)) is not None:
            parent_span = remote
            self._parent = remote.get_span_context()
        ctx = otel_trace.set_span_in_context(parent_span, current)
        ctx = Context(
            {
                **ctx,
                DSC: self._dsc,
                CUSTOM_SAMPLING_CONTEXT: custom_sampling_context,
                FORCED_SAMPLED: self._sampled if isinstance(self._sampled, bool) else None,
            }
        )
        pending = self._otel
        assert isinstance(pending, _PendingSpan)
        attributes: dict[str, Any] = {**pending.attributes, attrs.SOURCE: self._source}
        if self._pending_op:
            attributes[attrs.OP] = self._pending_op
        if self._origin:
            attributes[attrs.ORIGIN] = str(self._origin)
        self._otel = _tracer.start_span(
            self._pending_name, context=ctx, attributes=attributes, start_time=to_ns(self._start)
        )
        if pending.status is not None:
            self._otel.set_status(pending.status)
        return self

    def __enter__(self) -> Self:
        self.start()
        return super().__enter__()

    def _context_values(self, current: Context) -> dict[str, object]:
        values = super()._context_values(current)
        values[DSC] = self._dsc
        return values

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
    trace_id, span_id = kwargs.get("trace_id"), kwargs.get("parent_span_id")
    if not trace_id or not span_id:
        return None
    try:
        parent = SpanContext(
            int(str(trace_id), 16),
            int(str(span_id), 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED if kwargs.get("parent_sampled") else 0),
        )
    except ValueError:
        return None
    return parent if parent.is_valid else None


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
    if transaction is None:
        transaction = Transaction(**kwargs)
    return transaction.start(custom_sampling_context)


def start_span(
    *,
    op: str | None = None,
    name: str | None = None,
    description: str | None = None,
    **kwargs: Any,
) -> Span:
    """A child of the active span; a new transaction when no span is active."""
    ctx = entries.current()
    parent = otel_trace.get_current_span(ctx)
    parent_ctx = parent.get_span_context()
    if not parent_ctx.is_valid or parent_ctx.is_remote:
        return start_transaction(name=name or description, op=op, **kwargs)
    facade = ctx.get(SPAN_FACADE)
    segment = None
    if isinstance(facade, Span) and facade.otel_span is parent:
        segment = facade.containing_transaction
    return start_otel_span(ctx, op, name or description, segment, kwargs, parent_ctx)


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
    incoming = extract_incoming(environ_or_headers)
    kwargs: dict[str, Any] = {"origin": origin}
    if incoming is None:
        return Transaction(name, op, source or "custom", **kwargs)
    if incoming.dsc is not None:
        received = incoming.dsc
        frozen_dsc(incoming.span_context.trace_id, lambda: received)
    return Transaction(
        name,
        op,
        source or "custom",
        parent=incoming.span_context,
        parent_sampled=incoming.parent_sampled,
        dsc=incoming.dsc,
        **kwargs,
    )
