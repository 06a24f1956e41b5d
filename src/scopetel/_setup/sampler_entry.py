"""The ``scopetel`` entry point of ``opentelemetry_traces_sampler``.

``OTEL_TRACES_SAMPLER=scopetel`` gives a plain OpenTelemetry SDK Sentry's sampling:
parent-based, with the rate from ``SENTRY_TRACES_SAMPLE_RATE``, else from
``OTEL_TRACES_SAMPLER_ARG``, else 1.0 (OpenTelemetry's default samples everything).
"""

import os

from opentelemetry.sdk.trace.sampling import Sampler

from scopetel._config.otel_env import TRACES_SAMPLER_ARG
from scopetel._config.resolution import auto_options, from_environment, option
from scopetel._tracing.sampler import TracesSampler

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
