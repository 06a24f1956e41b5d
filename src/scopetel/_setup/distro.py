"""scopetel under ``opentelemetry-instrument``: the distro and the configurator.

``opentelemetry-instrument`` runs, in this order, the distro's ``configure`` (defaults
for the ``OTEL_*`` variables and the propagators), the configurator (the SDK with
scopetel's sampler and processors, through the same ``configure`` as ``init()``), then
loads every ``opentelemetry_instrumentor`` entry point through the distro. Configuration
comes only from the environment (``SENTRY_*`` and ``OTEL_*``, see README); a bad value is
reported in one line and replaced by a safe default, and ``OTEL_SDK_DISABLED=true``
turns all of it off.
"""

import logging
import os
from collections.abc import Sequence
from dataclasses import replace
from importlib.metadata import EntryPoint
from typing import Any, Final

from opentelemetry import trace as otel_trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.propagate import set_global_textmap
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk._configuration import _OTelSDKConfigurator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from scopetel._config import otel_env as otel_env
from scopetel._config.options import Options
from scopetel._config.resolution import auto_options
from scopetel._internal_errors import report_internal_error
from scopetel._pipeline.private_export import private_export_processor
from scopetel._setup.entry_points import ScopetelPropagator, sampler_rate
from scopetel._setup.init import configure
from scopetel._setup.integrations import PREFIX, disabled_names

LOGGER: Final = logging.getLogger("scopetel")


# (opentelemetry.instrumentation.distro is ``# type: ignore``d upstream: mypy sees Any.)
class ScopetelDistro(BaseDistro):  # type: ignore[misc]
    """Defaults for the ``OTEL_*`` variables; skips instrumentors scopetel should not load."""

    def _configure(self, **kwargs: Any) -> None:
        environ = os.environ
        if otel_env.sdk_disabled(environ):
            LOGGER.debug("scopetel: OTEL_SDK_DISABLED is true; doing nothing")
            return
        propagators_chosen = otel_env.PROPAGATORS in environ
        for name, value in otel_env.distro_defaults(environ).items():
            environ.setdefault(name, value)
        if not propagators_chosen:
            # opentelemetry.propagate read OTEL_PROPAGATORS when it was imported, before
            # any distro ran: install the default the variable now names.
            set_global_textmap(
                CompositePropagator(
                    [TraceContextTextMapPropagator(), W3CBaggagePropagator(), ScopetelPropagator()]
                )
            )

    def load_instrumentor(self, entry_point: EntryPoint, **kwargs: Any) -> None:
        """Instrument, unless the SDK is disabled or a scopetel instrumentor is turned off
        (``SENTRY_DEFAULT_INTEGRATIONS``, ``SENTRY_DISABLED_INTEGRATIONS``, or its short
        name in ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``)."""
        if otel_env.sdk_disabled(os.environ):
            return
        if entry_point.name.startswith(PREFIX):
            options = auto_options()
            if not options.default_integrations:
                return
            if entry_point.name in disabled_names(options.disabled_integrations):
                return
        super().load_instrumentor(entry_point, **kwargs)


class ScopetelConfigurator(_OTelSDKConfigurator):
    """The SDK as ``opentelemetry-instrument`` sets it up, plus scopetel's sampler and
    processors; exporters named by ``OTEL_TRACES_EXPORTER`` get the same spans, scrubbed
    as Sentry's are (``PrivateSpanExporter``)."""

    def _configure(self, **kwargs: Any) -> None:
        if otel_env.sdk_disabled(os.environ):
            return
        try:
            self._start(kwargs)
        except Exception:
            report_internal_error("ScopetelConfigurator")

    def _start(self, kwargs: dict[str, Any]) -> None:
        environ = os.environ
        options = _sampling_options(auto_options())
        otel_env.drop_own_trace_exporter(environ)
        exporters = otel_env.check_exporters(environ)
        described = [otel_env.describe_exporter(environ, name) for name in exporters]
        if environ.get(otel_env.CONFIG_FILE):
            # Declarative configuration builds the provider itself: adopt it.
            super()._configure(**kwargs)  # type: ignore[no-untyped-call]
            configure(options, exporters=described)
            return
        foreign = otel_env.foreign_sampler(environ)

        def build(sampler: Sampler, processor: SpanProcessor, resource: Resource) -> TracerProvider:
            processors: Sequence[SpanProcessor] = kwargs.get("span_processors") or ()
            sdk_kwargs = {
                **kwargs,
                "span_processors": [processor, *processors],
                # the exporters of OTEL_TRACES_EXPORTER get scrubbed spans, as Sentry does
                "export_span_processor": private_export_processor(
                    kwargs.get("export_span_processor")
                ),
            }
            if not foreign:
                sdk_kwargs["sampler"] = sampler
            super(ScopetelConfigurator, self)._configure(**sdk_kwargs)  # type: ignore[no-untyped-call]
            provider = otel_trace.get_tracer_provider()
            if not isinstance(provider, TracerProvider):
                raise RuntimeError(f"the SDK set no TracerProvider but {provider!r}")
            return provider

        configure(options, provider_factory=build, exporters=described)


def _sampling_options(options: Options) -> Options:
    """With ``OTEL_TRACES_SAMPLER=scopetel``, its argument is a rate fallback."""
    if os.environ.get(otel_env.TRACES_SAMPLER, "").strip() != otel_env.SCOPETEL:
        return options
    rate = sampler_rate(os.environ.get(otel_env.TRACES_SAMPLER_ARG), options.traces_sample_rate)
    return replace(options, traces_sample_rate=rate)
