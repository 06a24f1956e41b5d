"""Outgoing and incoming trace headers: ``sentry-trace``, ``baggage``, continue_trace.

The dynamic sampling context (DSC) of a trace is decided by its head: received
with the trace, or built here when this service starts it. A segment root started
by scopetel freezes the transaction name into its DSC the first time the DSC is
propagated, so what goes out in ``baggage`` equals the envelope header later sent.
"""

import random
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind
from scopetel_exporter_sentry.dsn import Dsn

from scopetel._client_state import get_client
from scopetel._config.options import Options
from scopetel._context import entries as _frames
from scopetel._context.active_scopes import get_isolation_scope
from scopetel._context.keys import SPAN_FACADE
from scopetel._pipeline.mapping import segment_name_and_source
from scopetel._propagation.dsc import (
    DynamicSamplingContext,
    dsc_for_new_trace,
    sample_rand_from_trace_id,
)
from scopetel._propagation.headers import extract_incoming, format_sentry_trace
from scopetel._propagation.propagator import incoming_dsc_in, outgoing_baggage, sampled_decision
from scopetel._semconv import sentry_attributes as attrs
from scopetel._tracing.span import Span
from scopetel._tracing.transaction import Transaction


def public_key(options: Options) -> str | None:
    return Dsn.parse(options.dsn).public_key if options.dsn else None


def head_dsc(
    trace_id: int,
    *,
    sampled: bool | None,
    attributes: Mapping[str, Any],
    name: str | None,
    source: str | None,
) -> DynamicSamplingContext:
    """The DSC of a trace this service started, from its root span's attributes."""
    client = get_client()
    options = client.options if client is not None else Options()
    rate = attributes.get(attrs.SAMPLE_RATE)
    rand = attributes.get(attrs.SAMPLE_RAND)
    return dsc_for_new_trace(
        trace_id,
        public_key=public_key(options),
        release=options.release,
        environment=options.environment,
        transaction=name,
        transaction_source=source,
        sample_rate=float(rate) if isinstance(rate, int | float) else options.traces_sample_rate,
        sample_rand=float(rand) if isinstance(rand, float) else sample_rand_from_trace_id(trace_id),
        sampled=sampled,
    )


def frozen_dsc(
    trace_id: int, build: Callable[[], DynamicSamplingContext]
) -> DynamicSamplingContext:
    """The trace's DSC as first frozen (by propagation or by the first envelope sent)."""
    client = get_client()
    return build() if client is None else client.frozen_dscs.freeze(trace_id, build)


def current_dsc(ctx: Context | None = None) -> DynamicSamplingContext | None:
    """The DSC of the trace of the active span: received, or built at our root; frozen."""
    ctx = _frames.current() if ctx is None else ctx
    otel = otel_trace.get_current_span(ctx)
    span_ctx = otel.get_span_context()
    if not span_ctx.is_valid:
        return None
    incoming = incoming_dsc_in(ctx, span_ctx.trace_id)
    if incoming is not None:
        return frozen_dsc(span_ctx.trace_id, lambda: incoming)
    facade = ctx.get(SPAN_FACADE)
    root = facade.containing_transaction if isinstance(facade, Span) else None
    if isinstance(root, Transaction) and root.trace_id == f"{span_ctx.trace_id:032x}":
        return frozen_dsc(span_ctx.trace_id, lambda: _root_dsc(root))
    return frozen_dsc(span_ctx.trace_id, lambda: _span_dsc(otel))


def _root_dsc(root: Transaction) -> DynamicSamplingContext:
    return head_dsc(
        int(root.trace_id, 16),
        sampled=root.sampled,
        attributes=getattr(root.otel_span, "attributes", None) or {},
        name=root.name,
        source=root.source,
    )


def _span_dsc(span: otel_trace.Span) -> DynamicSamplingContext:
    """For a span of another instrumentation: named only when it is the local root."""
    span_ctx = span.get_span_context()
    attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
    parent = getattr(span, "parent", None)
    name = source = None
    if parent is None or parent.is_remote:
        kind = getattr(span, "kind", SpanKind.INTERNAL)
        name, source = segment_name_and_source(getattr(span, "name", ""), kind, attributes)
    return head_dsc(
        span_ctx.trace_id,
        sampled=sampled_decision(span),
        attributes=attributes,
        name=name,
        source=source,
    )


def baggage_for(span: Span) -> str | None:
    """``baggage`` for requests made inside ``span``."""
    ctx = otel_trace.set_span_in_context(span.otel_span, _frames.current())
    return outgoing_baggage(ctx, current_dsc(ctx)) or None


def get_traceparent() -> str | None:
    """``sentry-trace`` for the active span, or for the isolation scope's trace."""
    ctx = _frames.current()
    span = otel_trace.get_current_span(ctx)
    span_ctx = span.get_span_context()
    if span_ctx.is_valid:
        return format_sentry_trace(span_ctx.trace_id, span_ctx.span_id, sampled_decision(span))
    trace_id, span_id = scope_trace_ids()
    return format_sentry_trace(trace_id, span_id, None)


def get_baggage() -> str | None:
    """``baggage`` with the trace's DSC and the Context's other baggage entries."""
    ctx = _frames.current()
    dsc = current_dsc(ctx)
    if dsc is None:  # no span: the isolation scope's trace, its decision deferred
        trace_id = scope_trace_ids()[0]
        dsc = frozen_dsc(trace_id, lambda: _scope_dsc(trace_id))
    return outgoing_baggage(ctx, dsc) or None


def _scope_dsc(trace_id: int) -> DynamicSamplingContext:
    return head_dsc(trace_id, sampled=None, attributes={}, name=None, source=None)


def scope_trace_ids() -> tuple[int, int]:
    """The trace and span id linking span-less events of the current isolation scope."""
    scope = get_isolation_scope()
    if scope.trace_id is None:
        scope.trace_id = random.getrandbits(128) or 1
        scope.span_id = random.getrandbits(64) or 1
    return scope.trace_id, scope.span_id or 1


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


def scope_trace_id() -> int:
    """The trace id linking span-less events of the current isolation scope."""
    return scope_trace_ids()[0]
