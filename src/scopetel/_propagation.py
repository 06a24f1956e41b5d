"""Outgoing and incoming trace headers: ``sentry-trace``, ``baggage``, continue_trace.

The dynamic sampling context (DSC) of a trace is decided by its head: received
with the trace, or built here when this service starts it. A segment root started
by scopetel freezes the transaction name into its DSC the first time the DSC is
propagated, so what goes out in ``baggage`` equals the envelope header later sent.
"""

import random
from collections.abc import Mapping
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from scopetel_exporter_sentry.dsn import Dsn

from scopetel import _attributes as attrs
from scopetel import _frames
from scopetel._context_keys import SPAN_FACADE
from scopetel._dsc import DynamicSamplingContext, dsc_for_new_trace, sample_rand_from_trace_id
from scopetel._headers import extract_incoming, format_sentry_trace
from scopetel._options import Options
from scopetel._propagator import incoming_dsc_in, outgoing_baggage
from scopetel._scopes import get_isolation_scope
from scopetel._spans import Span
from scopetel._state import get_client
from scopetel._tracing import Transaction


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
        transaction=str(attributes.get(attrs.DSC_TRANSACTION) or name or "") or None,
        transaction_source=source,
        sample_rate=float(rate) if isinstance(rate, int | float) else options.traces_sample_rate,
        sample_rand=float(rand) if isinstance(rand, float) else sample_rand_from_trace_id(trace_id),
        sampled=sampled,
    )


def current_dsc(ctx: Context | None = None) -> DynamicSamplingContext | None:
    """The DSC of the trace of the active span (received, or frozen at our root)."""
    ctx = _frames.current() if ctx is None else ctx
    otel = otel_trace.get_current_span(ctx)
    span_ctx = otel.get_span_context()
    if not span_ctx.is_valid:
        return None
    incoming = incoming_dsc_in(ctx, span_ctx.trace_id)
    if incoming is not None:
        return incoming
    facade = ctx.get(SPAN_FACADE)
    root = facade.containing_transaction if isinstance(facade, Span) else None
    if isinstance(root, Transaction) and root.trace_id == f"{span_ctx.trace_id:032x}":
        return _frozen_root_dsc(root)
    attributes = getattr(otel, "attributes", None) or {}
    return head_dsc(
        span_ctx.trace_id,
        sampled=span_ctx.trace_flags.sampled,
        attributes=attributes,
        name=None,
        source=None,
    )


def _frozen_root_dsc(root: Transaction) -> DynamicSamplingContext:
    otel = root.otel_span
    attributes = getattr(otel, "attributes", None) or {}
    if attrs.DSC_TRANSACTION not in attributes and otel.is_recording():
        otel.set_attribute(attrs.DSC_TRANSACTION, root.name or "")
        attributes = getattr(otel, "attributes", None) or {}
    return head_dsc(
        int(root.trace_id, 16),
        sampled=root.sampled,
        attributes=attributes,
        name=root.name,
        source=root.source,
    )


def get_traceparent() -> str | None:
    """``sentry-trace`` for the active span, or for the isolation scope's trace."""
    ctx = _frames.current()
    span_ctx = otel_trace.get_current_span(ctx).get_span_context()
    if span_ctx.is_valid:
        return format_sentry_trace(
            span_ctx.trace_id, span_ctx.span_id, span_ctx.trace_flags.sampled
        )
    return format_sentry_trace(scope_trace_id(), random.getrandbits(64) or 1, None)


def get_baggage() -> str | None:
    """``baggage`` with the trace's DSC and the Context's other baggage entries."""
    ctx = _frames.current()
    return outgoing_baggage(ctx, current_dsc(ctx)) or None


def scope_trace_id() -> int:
    """The trace id linking span-less events of the current isolation scope."""
    scope = get_isolation_scope()
    if scope.trace_id is None:
        scope.trace_id = random.getrandbits(128) or 1
    return scope.trace_id


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
    return Transaction(
        name,
        op,
        source or "custom",
        parent=incoming.span_context,
        parent_sampled=incoming.parent_sampled,
        dsc=incoming.dsc,
        **kwargs,
    )
