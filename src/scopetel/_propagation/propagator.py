"""Sentry's ``sentry-trace`` and ``baggage`` headers as an OpenTelemetry propagator.

Meant to run after OpenTelemetry's own propagators (``OTEL_PROPAGATORS=tracecontext,
baggage,scopetel``): ``tracecontext`` owns ``traceparent``/``tracestate``, ``baggage``
carries third-party entries into OpenTelemetry Baggage, and this one adds Sentry's view:
the dynamic sampling context and the deferred sampling decision. On inject it rewrites
``baggage`` as the union of OpenTelemetry Baggage and the DSC, so nothing is duplicated.
Alone, it propagates the DSC and the OpenTelemetry Baggage of the process, but does not
read third-party entries of incoming baggage.
"""

from collections.abc import Callable, Mapping

from opentelemetry import baggage as otel_baggage
from opentelemetry import trace
from opentelemetry.context import Context, get_current, get_value, set_value
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext

from scopetel._context.keys import DSC
from scopetel._internal_errors import report_internal_error
from scopetel._propagation.dsc import (
    BAGGAGE_PREFIX,
    DynamicSamplingContext,
    dsc_for_root,
)
from scopetel._propagation.headers import (
    BAGGAGE_HEADER,
    SENTRY_TRACE_HEADER,
    Baggage,
    IncomingTrace,
    choose_parent,
    encode_baggage_member,
    format_baggage,
    format_sentry_trace,
    header_strings,
    incoming_dsc,
    parse_baggage,
    parse_sentry_trace,
)

DscProvider = Callable[[Context], DynamicSamplingContext | None]


class RemoteParentSpan(NonRecordingSpan):
    """An incoming parent that remembers Sentry's three-state decision.

    Trace flags only say sampled or not; ``sentry-trace`` without a flag means the
    caller deferred the decision, and the sampler must then decide on its own.
    """

    def __init__(self, context: SpanContext, parent_sampled: bool | None) -> None:
        super().__init__(context)
        self.parent_sampled = parent_sampled


def sampled_decision(span: Span) -> bool | None:
    """The span's sampling decision; None for a remote parent that deferred it."""
    if isinstance(span, RemoteParentSpan):
        return span.parent_sampled
    return span.get_span_context().trace_flags.sampled


def context_with_incoming(incoming: IncomingTrace, context: Context | None = None) -> Context:
    """``context`` continuing ``incoming``: its remote parent and its DSC (for continue_trace)."""
    parent = RemoteParentSpan(incoming.span_context, incoming.parent_sampled)
    result = trace.set_span_in_context(parent, context)
    if incoming.dsc is not None:
        result = set_value(DSC, incoming.dsc, result)
    return result


def incoming_dsc_in(context: Context | None, trace_id: int) -> DynamicSamplingContext | None:
    """The incoming DSC stored in ``context`` (default: current) when it is ``trace_id``'s."""
    dsc = get_value(DSC, context)
    if isinstance(dsc, DynamicSamplingContext) and dsc.trace_id == f"{trace_id:032x}":
        return dsc
    return None


def default_dsc_provider(context: Context) -> DynamicSamplingContext | None:
    """The incoming DSC of the current trace, else a minimal one from the span context."""
    span = trace.get_current_span(context)
    span_context = span.get_span_context()
    if not span_context.is_valid:
        return None
    incoming = incoming_dsc_in(context, span_context.trace_id)
    if incoming is not None:
        return incoming
    return dsc_for_root(
        span_context.trace_id,
        options=None,
        attributes={},
        name=None,
        source=None,
        sampled=sampled_decision(span),
    )


def outgoing_baggage(context: Context, dsc: DynamicSamplingContext | None) -> str:
    """``baggage``: the DSC's entries, then the OpenTelemetry Baggage of ``context``.

    Baggage entries named ``sentry-*`` are left out: the DSC alone speaks for Sentry.
    Empty when there is nothing to send.
    """
    others = [
        encode_baggage_member(key, str(value))
        for key, value in otel_baggage.get_all(context).items()
        if not key.startswith(BAGGAGE_PREFIX)
    ]
    return format_baggage(dsc.to_baggage_entries() if dsc else {}, others)


class SentryPropagator(TextMapPropagator):
    """Reads and writes ``sentry-trace`` and the Sentry entries of ``baggage``."""

    def __init__(self, dsc_provider: DscProvider | None = None) -> None:
        self._dsc_provider = dsc_provider or default_dsc_provider

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        """Continue the incoming trace; a remote span already extracted from
        ``traceparent`` for the same trace is kept (see ``choose_parent``)."""
        if context is None:
            context = Context()
        try:
            return self._extract(carrier, context, getter)
        except Exception:
            report_internal_error("SentryPropagator.extract")
            return context

    def _extract(self, carrier: CarrierT, context: Context, getter: Getter[CarrierT]) -> Context:
        values = _values(carrier, getter, SENTRY_TRACE_HEADER)
        sentry_trace = parse_sentry_trace(values[0]) if values else None
        baggage_values = _values(carrier, getter, BAGGAGE_HEADER)
        baggage = parse_baggage(baggage_values) if baggage_values else Baggage()
        existing = trace.get_current_span(context).get_span_context()
        w3c_parent = existing if existing.is_valid and existing.is_remote else None
        chosen = choose_parent(sentry_trace, w3c_parent, baggage.sentry_trace_id())
        if chosen is None:
            return context
        span_context, parent_sampled = chosen
        if span_context is not existing:
            parent = RemoteParentSpan(span_context, parent_sampled)
            context = trace.set_span_in_context(parent, context)
        dsc = incoming_dsc(baggage, span_context.trace_id)
        return context if dsc is None else set_value(DSC, dsc, context)

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        """Write ``sentry-trace`` and ``baggage`` for the span current in ``context``."""
        try:
            self._inject(carrier, get_current() if context is None else context, setter)
        except Exception:
            report_internal_error("SentryPropagator.inject")

    def _inject(self, carrier: CarrierT, context: Context, setter: Setter[CarrierT]) -> None:
        span = trace.get_current_span(context)
        span_context = span.get_span_context()
        if not span_context.is_valid:
            return
        sentry_trace = format_sentry_trace(
            span_context.trace_id, span_context.span_id, sampled_decision(span)
        )
        setter.set(carrier, SENTRY_TRACE_HEADER, sentry_trace)
        header = outgoing_baggage(context, self._dsc_provider(context))
        if header:
            setter.set(carrier, BAGGAGE_HEADER, header)

    @property
    def fields(self) -> set[str]:
        return {SENTRY_TRACE_HEADER, BAGGAGE_HEADER}


def _values(carrier: CarrierT, getter: Getter[CarrierT], name: str) -> list[str]:
    """The header's values as text: bytes decoded (latin-1), anything else ignored.

    OpenTelemetry's default getter turns a ``bytes`` value into a list of ints, so a
    mapping carrier is read directly.
    """
    if getter is default_getter and isinstance(carrier, Mapping):
        return header_strings(carrier.get(name))
    raw = getter.get(carrier, name)
    return [] if raw is None else header_strings(list(raw))
