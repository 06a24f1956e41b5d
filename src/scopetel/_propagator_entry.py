"""The ``scopetel`` entry point of ``opentelemetry_propagator`` (``OTEL_PROPAGATORS``).

OpenTelemetry instantiates propagators without arguments; this one propagates the
dynamic sampling context scopetel froze for the current trace (``current_dsc``), so
outgoing ``baggage`` matches the envelopes Sentry receives for the trace.
"""

from scopetel._propagation import current_dsc
from scopetel._propagator import SentryPropagator


class ScopetelPropagator(SentryPropagator):
    """``sentry-trace`` and Sentry ``baggage`` entries; use after ``tracecontext,baggage``."""

    def __init__(self) -> None:
        super().__init__(dsc_provider=current_dsc)
