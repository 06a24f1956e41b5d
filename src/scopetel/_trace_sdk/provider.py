"""``LeanTracerProvider``: the SDK's ``TracerProvider`` with lean tracers.

A subclass, so code that checks for the SDK provider, adds processors, reads its
``resource``/``sampler``/``id_generator``, flushes or shuts it down works unchanged:
those parts are the SDK's own. Only ``get_tracer`` differs (it returns ``LeanTracer``\\ s,
cached per instrumentation scope as the SDK caches its tracers), and processors are
also kept as tuples of bound hooks that spans call directly.

What the lean core does not do (use ``tracer_provider="sdk"`` for these): the SDK's
internal tracer metrics (``OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED``), and locking
around each span (two threads ending one span at the same moment both notify).
"""

import logging
import warnings
from typing import Any, Final

from opentelemetry import trace as trace_api
from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import (
    ConcurrentMultiSpanProcessor,
    SpanLimits,
    SpanProcessor,
    SynchronousMultiSpanProcessor,
    TracerProvider,
)
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.sdk.util.instrumentation import InstrumentationInfo, InstrumentationScope
from opentelemetry.util import types

from scopetel._trace_sdk.ids import FastIds, Ids
from scopetel._trace_sdk.source import Pipeline, SpanSource
from scopetel._trace_sdk.tracer import LeanTracer

LOGGER: Final = logging.getLogger("opentelemetry.sdk.trace")


class LeanTracerProvider(TracerProvider):
    """An SDK ``TracerProvider`` whose tracers make lean spans (see the module docstring)."""

    def __init__(
        self,
        sampler: Sampler | None = None,
        resource: Resource | None = None,
        shutdown_on_exit: bool = True,
        active_span_processor: SynchronousMultiSpanProcessor
        | ConcurrentMultiSpanProcessor
        | None = None,
        id_generator: IdGenerator | None = None,
        span_limits: SpanLimits | None = None,
        *,
        meter_provider: MeterProvider | None = None,
        _tracer_configurator: Any = None,
    ) -> None:
        self._pipeline = Pipeline()
        self._ids = Ids(id_generator or FastIds())
        self._sources: list[SpanSource] = []
        super().__init__(
            sampler=sampler,
            resource=resource,
            shutdown_on_exit=shutdown_on_exit,
            active_span_processor=active_span_processor,
            id_generator=id_generator or self._ids.generator,
            span_limits=span_limits,
            meter_provider=meter_provider,
            _tracer_configurator=_tracer_configurator,
        )
        self._own_processors = active_span_processor is None
        if not self._own_processors:  # a given multi-processor is called as one
            self._pipeline.add(self._active_span_processor)

    @property  # type: ignore[override]
    def id_generator(self) -> IdGenerator:
        return self._ids.generator

    @id_generator.setter
    def id_generator(self, generator: IdGenerator) -> None:
        ids = self._ids = Ids(generator)
        for source in self._sources:
            source.ids = ids

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: types.Attributes = None,
    ) -> trace_api.Tracer:
        if self._disabled:
            return trace_api.NoOpTracer()
        if not instrumenting_module_name:
            instrumenting_module_name = ""
            LOGGER.error("get_tracer called with missing module name.")
        if instrumenting_library_version is None:
            instrumenting_library_version = ""
        scope = InstrumentationScope(
            instrumenting_module_name, instrumenting_library_version, schema_url, attributes
        )
        with self._tracers_lock:
            found = self._tracers.get(scope)
            if found is not None:
                return found
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                info = InstrumentationInfo(
                    instrumenting_module_name, instrumenting_library_version, schema_url
                )
            source = SpanSource(
                self._pipeline, self._resource, scope, info, self._span_limits, self._ids
            )
            tracer = LeanTracer(source, self.sampler)
            tracer._set_tracer_config(self._apply_tracer_configurator(scope))
            self._sources.append(source)
            self._tracers[scope] = tracer  # type: ignore[assignment]
        return tracer

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        if self._own_processors:
            self._pipeline.add(span_processor)


def lean_provider_from(provider: TracerProvider) -> LeanTracerProvider:
    """Turn an SDK provider that was just built for scopetel, and has made no tracer yet,
    into a lean one with the same resource, sampler, id generator, limits and processors.

    For the ``opentelemetry-instrument`` configurator, where the SDK builds the provider
    (with the exporters of ``OTEL_TRACES_EXPORTER``) and sets it as the global one.
    A provider of any other class, or one that has made tracers, is returned unchanged.
    """
    if type(provider) is not TracerProvider or provider._tracers:
        return provider  # type: ignore[return-value]
    generator: IdGenerator = vars(provider).pop("id_generator")
    provider.__class__ = LeanTracerProvider
    lean: LeanTracerProvider = provider  # type: ignore[assignment]
    lean._pipeline = Pipeline()
    lean._ids = Ids(generator)
    lean._sources = []
    multi = lean._active_span_processor
    # The SDK's own synchronous multi-processor only loops over its processors: spans call
    # them directly (one call fewer per span start and end); processors added later go
    # to both, as with a provider made here. Any other kind is called as one.
    inner = getattr(multi, "_span_processors", None)  # private: checked, not trusted
    lean._own_processors = type(multi) is SynchronousMultiSpanProcessor and isinstance(inner, tuple)
    for processor in inner if lean._own_processors and inner is not None else (multi,):
        lean._pipeline.add(processor)
    return lean
