"""The ``scopetel`` entry point of ``opentelemetry_propagator`` (``OTEL_PROPAGATORS``).

OpenTelemetry instantiates propagators without arguments; this one propagates the
dynamic sampling context scopetel froze for the current trace (``current_dsc``), so
outgoing ``baggage`` matches the envelopes Sentry receives for the trace.
"""

from opentelemetry.context import Context
from opentelemetry.propagators.textmap import CarrierT, Getter, default_getter

from scopetel._context.keys import DSC
from scopetel._propagation.dsc import DynamicSamplingContext
from scopetel._propagation.propagator import SentryPropagator
from scopetel._tracing.trace_identity import current_dsc, frozen_dsc


class ScopetelPropagator(SentryPropagator):
    """``sentry-trace`` and Sentry ``baggage`` entries; use after ``tracecontext,baggage``.

    A DSC received here is also frozen for its trace, so envelopes built where the
    Context is out of reach (span streaming, the span exporter) carry it too.
    """

    def __init__(self) -> None:
        super().__init__(dsc_provider=current_dsc)

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        result = super().extract(carrier, context, getter)
        incoming = result.get(DSC)
        if isinstance(incoming, DynamicSamplingContext):
            frozen_dsc(int(incoming.trace_id, 16), lambda: incoming)
        return result
