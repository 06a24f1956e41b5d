"""The OpenTelemetry TracerProvider scopetel samples with and feeds its processors from.

OpenTelemetry lets the global provider be set once per process, but ``init()`` may be
called again: the provider's sampler and scopetel's processor are switchable
delegates, so a second ``init()`` swaps them in place. The provider is set up once
(``ensure``): created by scopetel, built by the ``opentelemetry-instrument``
configurator around the switchable parts, or adopted when one already exists.

Which provider scopetel creates is the ``tracer_provider`` option: the lean core
(``scopetel._trace_sdk``, the default) or the OpenTelemetry SDK's own.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from scopetel._fork_safety import ForkSafeLock
from scopetel._pipeline.segments import Segment, SegmentProcessor
from scopetel._trace_sdk.provider import LeanTracerProvider, lean_provider_from
from scopetel._tracing import preset_trace_ids

LOGGER: Final = logging.getLogger("scopetel")


class SwitchableSampler(Sampler):
    """Delegates to a sampler that ``init()`` may replace.

    Setting ``delegate`` also binds the delegate's ``should_sample`` on this instance, so
    the SDK calls it directly: sampling every span costs no extra call.
    """

    def __init__(self, delegate: Sampler) -> None:
        self.delegate = delegate

    @property
    def delegate(self) -> Sampler:
        return self._delegate

    @delegate.setter
    def delegate(self, sampler: Sampler) -> None:
        self._delegate = sampler
        self.should_sample = sampler.should_sample  # type: ignore[method-assign]
        # the lean tracer decides children of local parents itself when the delegate would
        self.follows_local_parent = getattr(sampler, "follows_local_parent", None) is True

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        return self._delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"Switchable({self.delegate.get_description()})"


class SwitchableProcessor(SpanProcessor):
    """Delegates to the span processors of the active ``init()``.

    A segment processor replaced while it still buffers open segments keeps *draining*:
    the spans of those segments (and children started under them) still go to it, so a
    transaction open across a second ``init()`` is sent whole. It is shut down once idle.
    """

    # Its spans go to Sentry only (exporters are processors of their own): spans Sentry
    # never shows may start non-recording (``_trace_sdk.unread_spans``).
    sentry_only = True

    def __init__(self) -> None:
        self.delegates: tuple[SpanProcessor, ...] = ()
        self._draining: tuple[SegmentProcessor, ...] = ()

    def _bind(self) -> None:
        """With none draining, the active processors' hooks are bound on this instance:
        a hook a processor does not override (``SpanBreadcrumbs.on_start``) is left out,
        and a single one is called with no call in between."""
        vars(self).pop("on_start", None)
        vars(self).pop("on_end", None)
        if self._draining:
            return
        starts = tuple(p.on_start for p in self.delegates if _overrides(p, "on_start"))
        ends = tuple(p.on_end for p in self.delegates if _overrides(p, "on_end"))
        self.on_start = _fan_out_start(starts)  # type: ignore[method-assign,assignment]
        self.on_end = _fan_out_end(ends)  # type: ignore[method-assign,assignment]

    def replace(
        self,
        processors: Sequence[SpanProcessor],
        timeout_s: float,
        drain_to: Callable[[Segment], None] | None = None,
    ) -> None:
        """Make ``processors`` active; replaced segment processors still holding open
        segments keep draining, and emit them to ``drain_to`` (the new client's sink:
        the client they were started under closes its transport)."""
        old, self.delegates = self.delegates, tuple(processors)
        draining: list[SegmentProcessor] = list(self._draining)
        for processor in old:
            processor.force_flush(int(timeout_s * 1000))
            if isinstance(processor, SegmentProcessor) and not processor.is_idle():
                draining.append(processor)
            else:
                processor.shutdown()
        if drain_to is not None:
            for processor in draining:
                processor.sink = drain_to
        self._draining = tuple(draining)
        self._bind()

    def _drainer_of(self, span_id: int) -> SegmentProcessor | None:
        for processor in self._draining:
            if processor.holds(span_id):
                return processor
        return None

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if self._draining and span.parent is not None:
            drainer = self._drainer_of(span.parent.span_id)
            if drainer is not None:
                drainer.on_start(span, parent_context)
                return
        for processor in self.delegates:
            processor.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        if self._draining and span.context is not None:
            drainer = self._drainer_of(span.context.span_id)
            if drainer is not None:
                drainer.on_end(span)
                if drainer.is_idle():
                    self._draining = tuple(p for p in self._draining if p is not drainer)
                    drainer.shutdown()
                    self._bind()
                return
        for processor in self.delegates:
            processor.on_end(span)

    def shutdown(self) -> None:
        self.shutdown_delegates()

    def shutdown_delegates(self) -> None:
        """Shut the active (and draining) processors down; they emit what they hold."""
        draining, self._draining = self._draining, ()
        self._bind()
        for processor in (*draining, *self.delegates):
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(processor.force_flush(timeout_millis) for processor in self.delegates)


def _overrides(processor: SpanProcessor, hook: str) -> bool:
    """``processor`` has a hook of its own, not ``SpanProcessor``'s, which does nothing."""
    return getattr(type(processor), hook, None) is not getattr(SpanProcessor, hook)


StartHook = Callable[[Span, Context | None], None]
EndHook = Callable[[ReadableSpan], None]


def _nothing(*args: object) -> None:
    return None


def _fan_out_start(hooks: tuple[StartHook, ...]) -> StartHook:
    if len(hooks) <= 1:
        return hooks[0] if hooks else _nothing

    def on_start(span: Span, parent_context: Context | None = None) -> None:
        for hook in hooks:
            hook(span, parent_context)

    return on_start


def _fan_out_end(hooks: tuple[EndHook, ...]) -> EndHook:
    if len(hooks) <= 1:
        return hooks[0] if hooks else _nothing
    if len(hooks) == 2:  # scopetel's own two (segments, breadcrumbs): no loop
        first, second = hooks

        def on_end_of_two(span: ReadableSpan) -> None:
            first(span)
            second(span)

        return on_end_of_two

    def on_end(span: ReadableSpan) -> None:
        for hook in hooks:
            hook(span)

    return on_end


class _Drop(Sampler):
    def should_sample(self, *args: object, **kwargs: object) -> SamplingResult:
        return SamplingResult(Decision.DROP)

    def get_description(self) -> str:
        return "Drop"


ProviderFactory = Callable[[Sampler, SpanProcessor], TracerProvider]
"""Builds and registers the global provider around scopetel's sampler and processor.

The ``opentelemetry-instrument`` configurator passes one that lets the SDK's
``_initialize_components`` build the provider (adding the exporters named by
``OTEL_TRACES_EXPORTER``); it may leave the sampler out when ``OTEL_TRACES_SAMPLER``
names another one.
"""


@dataclass(frozen=True)
class Installed:
    """The provider scopetel feeds, and its switchable parts (sampler: None if foreign)."""

    provider: TracerProvider
    sampler: SwitchableSampler | None
    processor: SwitchableProcessor


_lock = ForkSafeLock()
_installed: Installed | None = None


def ensure(
    resource: Resource | None = None,
    factory: ProviderFactory | None = None,
    tracer_provider: str = "lean",
) -> Installed:
    """The provider scopetel feeds: set up once per process, by ``factory`` if given,
    else adopted (an SDK provider already set) or created with ``resource``;
    ``tracer_provider`` (``lean`` or ``sdk``) says which kind scopetel makes."""
    global _installed
    lean = tracer_provider == "lean"
    with _lock:
        if _installed is None:
            # a factory makes its own resource
            _installed = (
                _build(factory, lean) if factory is not None else _adopt_or_create(resource, lean)
            )
        return _installed


def switch(
    sampler: Sampler,
    processors: Sequence[SpanProcessor],
    timeout_s: float,
    drain_to: Callable[[Segment], None] | None = None,
) -> None:
    """Make ``sampler`` and ``processors`` the active ones (flushing the replaced ones)."""
    installed = ensure()
    if installed.sampler is not None:
        installed.sampler.delegate = sampler
    installed.processor.replace(processors, timeout_s, drain_to)


def installed_provider() -> TracerProvider | None:
    return None if _installed is None else _installed.provider


def installed_processor() -> SwitchableProcessor | None:
    return None if _installed is None else _installed.processor


def _build(factory: ProviderFactory, lean: bool) -> Installed:
    sampler = SwitchableSampler(_Drop())
    processor = SwitchableProcessor()
    provider = factory(sampler, processor)
    if lean:  # the SDK built and set it for scopetel: made lean in place
        provider = lean_provider_from(provider)
    preset_trace_ids.install(provider)
    return Installed(provider, sampler if provider.sampler is sampler else None, processor)


def _adopt_or_create(resource: Resource | None, lean: bool) -> Installed:
    processor = SwitchableProcessor()
    current = otel_trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        switchable = current.sampler if isinstance(current.sampler, SwitchableSampler) else None
        if switchable is None:
            LOGGER.info(
                "scopetel: a TracerProvider was already set; its sampler (%s) decides sampling",
                current.sampler.get_description(),
            )
        current.add_span_processor(processor)
        preset_trace_ids.install(current)
        return Installed(current, switchable, processor)
    switchable = SwitchableSampler(_Drop())
    kind = LeanTracerProvider if lean else TracerProvider
    provider = kind(sampler=switchable, resource=resource or Resource.create())
    preset_trace_ids.install(provider)
    provider.add_span_processor(processor)
    otel_trace.set_tracer_provider(provider)
    return Installed(provider, switchable, processor)
