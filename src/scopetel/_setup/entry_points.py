"""The entry points OpenTelemetry instantiates by name (``scopetel``), for plain SDK users.

* ``opentelemetry_propagator`` (``OTEL_PROPAGATORS=...,scopetel``): propagates the dynamic
  sampling context scopetel froze for the current trace (``current_dsc``), so outgoing
  ``baggage`` matches the envelopes Sentry receives for the trace.
* ``opentelemetry_traces_sampler`` (``OTEL_TRACES_SAMPLER=scopetel``): Sentry's sampling,
  parent-based, with the rate from ``SENTRY_TRACES_SAMPLE_RATE``, else from
  ``OTEL_TRACES_SAMPLER_ARG``, else 1.0 (OpenTelemetry's default samples everything).
"""

import os

from opentelemetry.context import Context
from opentelemetry.propagators.textmap import CarrierT, Getter, default_getter
from opentelemetry.sdk.trace.sampling import Sampler

from scopetel._config.otel_env import TRACES_SAMPLER_ARG
from scopetel._config.resolution import auto_options, from_environment, option
from scopetel._context.keys import DSC
from scopetel._propagation.dsc import DynamicSamplingContext
from scopetel._propagation.propagator import SentryPropagator
from scopetel._tracing.sampler import TracesSampler
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


_RATE_VARIABLE = "SENTRY_TRACES_SAMPLE_RATE"


def sampler_rate(arg: str | None, default: float | None) -> float | None:
    """The sampling rate: ``SENTRY_TRACES_SAMPLE_RATE`` when set, else ``arg`` when
    given (a bad one is reported once and ``default`` used), else ``default``."""
    if _RATE_VARIABLE in os.environ or arg is None or not arg.strip():
        return default
    rate: float | None = from_environment(
        option("traces_sample_rate"), arg, default, variable=TRACES_SAMPLER_ARG
    )
    return rate


def sampler_from_env(arg: str | None = None) -> Sampler:
    """Called by the SDK with ``OTEL_TRACES_SAMPLER_ARG`` (or None)."""
    return TracesSampler(sampler_rate(arg, auto_options().traces_sample_rate))
