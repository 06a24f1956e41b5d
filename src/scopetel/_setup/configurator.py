"""The ``opentelemetry-instrument`` configurator: the SDK set up the standard way, plus
scopetel's sampler and processors, through the same ``configure`` as ``init()``.

A module of its own: importing OpenTelemetry's SDK configuration parses the resource
variables (and warns about bad ones), which must wait until the distro has run.
"""

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from opentelemetry import trace as otel_trace
from opentelemetry._logs import get_logger_provider
from opentelemetry.sdk import _configuration as sdk_configuration
from opentelemetry.sdk._configuration import _OTelSDKConfigurator
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Sampler

from scopetel._config import otel_env as otel_env
from scopetel._config.options import Options
from scopetel._config.resolution import auto_options
from scopetel._internal_errors import report_internal_error
from scopetel._pipeline.private_export import private_export_processor
from scopetel._setup.entry_points import sampler_rate
from scopetel._setup.init import configure
from scopetel._signals import log_processor


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

        def build(sampler: Sampler, processor: SpanProcessor) -> TracerProvider:
            processors: Sequence[SpanProcessor] = kwargs.get("span_processors") or ()
            log_processors = kwargs.get("log_record_processors") or ()
            sdk_kwargs = {
                **kwargs,
                "span_processors": [processor, *processors],
                # logs emitted anywhere become Sentry logs, beside OTEL_LOGS_EXPORTER's
                "log_record_processors": [log_processor.PROCESSOR, *log_processors],
                # the exporters of OTEL_TRACES_EXPORTER get scrubbed spans, as Sentry does
                "export_span_processor": private_export_processor(
                    kwargs.get("export_span_processor")
                ),
            }
            if not foreign:
                sdk_kwargs["sampler"] = sampler
            with _meter_provider_only_with_readers():
                super(ScopetelConfigurator, self)._configure(**sdk_kwargs)  # type: ignore[no-untyped-call]
            log_processor.mark_installed(get_logger_provider())
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


@contextmanager
def _meter_provider_only_with_readers() -> Iterator[None]:
    """While the SDK configures: no global ``MeterProvider`` when no metrics exporter is
    named (``OTEL_METRICS_EXPORTER=none``, the distro's default).

    The SDK sets one with no reader anyway: every measurement of the instrumentations
    (request durations, connection pool usage …) is then taken, exemplar-sampled and
    dropped on the application's thread, and the application's own
    ``set_meter_provider()`` later is refused. Left unset, OpenTelemetry's proxy meters
    cost next to nothing and follow a provider the application sets. (Through the SDK's
    private ``_init_metrics``; an SDK without it keeps its own behaviour.)
    """
    original = getattr(sdk_configuration, "_init_metrics", None)
    if not callable(original):
        yield
        return

    def init_metrics(exporters_or_readers: Any, *args: Any, **kwargs: Any) -> None:
        if exporters_or_readers:
            original(exporters_or_readers, *args, **kwargs)

    sdk_configuration._init_metrics = init_metrics
    try:
        yield
    finally:
        sdk_configuration._init_metrics = original
