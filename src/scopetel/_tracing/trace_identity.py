"""Which trace is current, and its dynamic sampling context (DSC), for outgoing headers.

The DSC of a trace is decided by its head: received with the trace, or built here when
this service starts it. A segment root started by scopetel freezes the transaction
name into its DSC the first time the DSC is propagated, so what goes out in ``baggage``
equals the envelope header later sent. Outside any span, the isolation scope carries a
trace of its own, so span-less events and outgoing requests are still linked.

This module reads the span facade of the Context by its attributes only (``name``,
``source``, ``containing_transaction``), so it sits below the facades that use it.
"""

from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind

from scopetel._client import get_client
from scopetel._context import entries
from scopetel._context.active_scopes import get_isolation_scope
from scopetel._context.keys import SPAN_FACADE
from scopetel._context.scope import Scope
from scopetel._propagation.dsc import DynamicSamplingContext, dsc_for_root, dsc_for_scope
from scopetel._propagation.headers import format_sentry_trace
from scopetel._propagation.propagator import incoming_dsc_in, outgoing_baggage, sampled_decision
from scopetel._random_ids import random_bits
from scopetel._semconv.naming import segment_name_and_source


def frozen_dsc(
    trace_id: int, build: Callable[[], DynamicSamplingContext]
) -> DynamicSamplingContext:
    """The trace's DSC as first frozen (by propagation or by the first envelope sent)."""
    client = get_client()
    return build() if client is None else client.frozen_dscs.freeze(trace_id, build)


def _head_dsc(
    trace_id: int,
    sampled: bool | None,
    attributes: Mapping[str, Any],
    name: str | None,
    source: str | None,
) -> DynamicSamplingContext:
    client = get_client()
    return dsc_for_root(
        trace_id,
        options=client.options if client is not None else None,
        attributes=attributes,
        name=name,
        source=source,
        sampled=sampled,
    )


def current_dsc(ctx: Context | None = None) -> DynamicSamplingContext | None:
    """The DSC of the trace of the active span: received, or built at our root; frozen."""
    ctx = entries.current() if ctx is None else ctx
    otel = otel_trace.get_current_span(ctx)
    span_ctx = otel.get_span_context()
    if not span_ctx.is_valid:
        return None
    trace_id = span_ctx.trace_id
    incoming = incoming_dsc_in(ctx, trace_id)
    if incoming is not None:
        return frozen_dsc(trace_id, lambda: incoming)
    root = getattr(ctx.get(SPAN_FACADE), "containing_transaction", None)
    if root is not None and root.trace_id == f"{trace_id:032x}":
        return frozen_dsc(
            trace_id,
            lambda: _head_dsc(
                trace_id,
                root.sampled,
                getattr(root.otel_span, "attributes", None) or {},
                root.name,
                getattr(root, "source", None),
            ),
        )
    return frozen_dsc(trace_id, lambda: _span_dsc(otel))


def _span_dsc(span: otel_trace.Span) -> DynamicSamplingContext:
    """For a span of another instrumentation: named only when it is the local root."""
    attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
    parent = getattr(span, "parent", None)
    name = source = None
    if parent is None or parent.is_remote:
        kind = getattr(span, "kind", SpanKind.INTERNAL)
        name, source = segment_name_and_source(getattr(span, "name", ""), kind, attributes)
    trace_id = span.get_span_context().trace_id
    return _head_dsc(trace_id, sampled_decision(span), attributes, name, source)


def baggage_for(span: otel_trace.Span) -> str | None:
    """``baggage`` for requests made inside ``span``."""
    ctx = otel_trace.set_span_in_context(span, entries.current())
    return outgoing_baggage(ctx, current_dsc(ctx)) or None


def get_traceparent() -> str | None:
    """``sentry-trace`` for the active span, or for the isolation scope's trace."""
    span = otel_trace.get_current_span(entries.current())
    span_ctx = span.get_span_context()
    if span_ctx.is_valid:
        return format_sentry_trace(span_ctx.trace_id, span_ctx.span_id, sampled_decision(span))
    trace_id, span_id = scope_trace_ids()
    return format_sentry_trace(trace_id, span_id, None)


def get_baggage() -> str | None:
    """``baggage`` with the trace's DSC and the Context's other baggage entries."""
    ctx = entries.current()
    dsc = current_dsc(ctx)
    if dsc is None:  # no span: the isolation scope's trace, its decision deferred
        dsc = scope_dsc()
    return outgoing_baggage(ctx, dsc) or None


def scope_dsc() -> DynamicSamplingContext:
    """The frozen DSC of the current isolation scope's trace (no span active)."""
    trace_id = scope_trace_ids()[0]
    client = get_client()
    options = client.options if client is not None else None
    return frozen_dsc(trace_id, lambda: dsc_for_scope(trace_id, options))


def scope_trace_ids(scope: Scope | None = None) -> tuple[int, int]:
    """The trace and span id linking span-less events of the current (or the given)
    isolation scope."""
    scope = get_isolation_scope() if scope is None else scope
    if type(scope.trace_id) is not int or not 0 < scope.trace_id < 1 << 128:
        scope.trace_id = random_bits(128) or 1
        scope.span_id = random_bits(64) or 1
    if type(scope.span_id) is not int or not 0 < scope.span_id < 1 << 64:
        scope.span_id = random_bits(64) or 1
    return scope.trace_id, scope.span_id


def scope_trace_id() -> int:
    """The trace id linking span-less events of the current isolation scope."""
    return scope_trace_ids()[0]
