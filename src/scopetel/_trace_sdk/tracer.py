"""``LeanTracer``: starts ``RecordingSpan``\\ s and ``UnsampledSpan``\\ s.

It follows the SDK tracer step by step (parent from the given or current Context, a
new trace id for a root, the sampler's decision, trace flags with the random-trace-id
bit the id generator vouches for, the sampler's attributes and trace state, links held
to the limits, ``on_start`` with the Context given), with one shortcut: a span whose
parent is a lean span of this process, under a sampler that follows local parents, is
sampled exactly when its parent is and takes the parent's flags and trace state as they
are; nothing is asked and nothing allocated for the decision.

``start_as_current_span`` is a class, not a generator: entering it starts the span and
makes it current, leaving it does what ``opentelemetry.trace.use_span`` does (record an
``Exception`` and set an error status, restore the Context, end the span).
"""

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from time import time_ns
from types import TracebackType
from typing import Any, Final, TypeVar, cast

from opentelemetry import trace as trace_api
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler
from opentelemetry.trace import (
    DEFAULT_TRACE_STATE,
    Link,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.util import types

from scopetel._context import runtime
from scopetel._context.keys import SPAN
from scopetel._internal_errors import report_internal_error
from scopetel._random_ids import random_bits
from scopetel._trace_sdk import attributes as _attributes
from scopetel._trace_sdk import unread_spans
from scopetel._trace_sdk.ids import new_span_id
from scopetel._trace_sdk.source import LOGGER, SpanSource, notify_start
from scopetel._trace_sdk.span import RecordingSpan, SharedAttributes
from scopetel._trace_sdk.span_extras import links_of
from scopetel._trace_sdk.span_start import new_span, recording_class, start_extras
from scopetel._trace_sdk.unsampled import UnsampledSpan, unsampled

_F = TypeVar("_F", bound=Callable[..., Any])
_INTERNAL: Final = SpanKind.INTERNAL
_CLIENT: Final = SpanKind.CLIENT
_OUTER: Final = unread_spans.OUTER
_FLAGS: Final = tuple(TraceFlags(bits) for bits in range(4))  # shared, never allocated per span
_SAMPLED: Final = TraceFlags.SAMPLED
_RANDOM: Final = TraceFlags.RANDOM_TRACE_ID
_RECORD_AND_SAMPLE: Final = Decision.RECORD_AND_SAMPLE
_RECORD_ONLY: Final = Decision.RECORD_ONLY


_LOCAL_PARENT_DECIDES: Final = (
    "localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler"
)


def follows_local_parent(sampler: Sampler) -> bool:
    """Whether ``sampler`` samples a span with a local parent exactly when the parent is
    sampled, keeping its trace state and adding no attributes. A sampler says so with a
    true ``follows_local_parent`` attribute (read at every span: it may delegate to
    another); the SDK's ``ParentBased`` does with its default local-parent samplers."""
    declared = getattr(sampler, "follows_local_parent", None)
    if declared is not None:
        return declared is True
    if not isinstance(sampler, ParentBased):
        return False
    description: str = sampler.get_description()  # type: ignore[no-untyped-call]
    return _LOCAL_PARENT_DECIDES in description


class LeanTracer(trace_api.Tracer):
    """A tracer of a ``LeanTracerProvider`` (one per instrumentation scope)."""

    def __init__(self, source: SpanSource, sampler: Sampler) -> None:
        self.source = source
        self.sampler = sampler
        declared = hasattr(sampler, "follows_local_parent")
        # None: ask the sampler at every span; else decided once
        self._follows: bool | None = None if declared else follows_local_parent(sampler)

    @property
    def resource(self) -> Any:
        return self.source.resource

    @property
    def instrumentation_scope(self) -> Any:
        return self.source.scope

    def _set_resource(self, resource: Any) -> None:  # the SDK provider's fork hook
        self.source.resource = resource

    def _set_tracer_config(self, tracer_config: Any) -> None:  # the SDK tracer configurator
        self.source.enabled = bool(getattr(tracer_config, "is_enabled", True))

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = _INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace_api.Span:
        source = self.source
        if not source.enabled:
            return trace_api.NonRecordingSpan(
                trace_api.get_current_span(context).get_span_context()
            )
        parent = (runtime.get_current() if context is None else context).get(SPAN)
        parent_type = type(parent)
        if (
            (parent_type is RecordingSpan or parent_type is UnsampledSpan)
            and not links
            and (
                self._follows
                if self._follows is not None
                else self.sampler.follows_local_parent is True  # type: ignore[attr-defined]
            )
        ):
            local = cast(RecordingSpan | UnsampledSpan, parent)
            ids = source.ids
            if ids.inline_span_ids:
                span_id = random_bits(64) or new_span_id()
            else:
                span_id = ids.generator.generate_span_id()
            flags = local.trace_flags
            if not flags & _SAMPLED:
                return unsampled(local.trace_id, span_id, flags, local._trace_state)
            role = source.unread_role
            if role and unread_spans.unread(
                role, kind, name, local.span_id, source.pipeline.processors
            ):  # a span Sentry never shows, and no one else reads
                return unsampled(local.trace_id, span_id, flags, local._trace_state)
            if (
                type(attributes) is SharedAttributes
                and source.max_length is None
                and (source.max_attributes is None or len(attributes) <= source.max_attributes)
            ):
                own: dict[str, types.AnyValue] = attributes
                dropped = 0
            else:
                own, dropped = _attributes.initial(
                    attributes, source.max_attributes, source.max_length
                )
            span = new_span(
                RecordingSpan
                if record_exception is True and set_status_on_exception is True
                else recording_class(record_exception, set_status_on_exception),
                source,
                name,
                local.trace_id,
                span_id,
                flags,
                local._trace_state,
                local.get_span_context(),
                kind,
                own,
                time_ns() if start_time is None else start_time,
            )
            if dropped:
                start_extras(span, None, dropped)
            for processor in source.pipeline.processors:
                try:
                    processor.on_start(span, parent_context=context)
                except Exception:
                    report_internal_error("span processor on_start")
            if role == _OUTER and kind is _CLIENT:  # a statement a driver's span may repeat
                unread_spans.opened(span)
            return span
        return self._start_sampled_by_sampler(
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
        )

    def _start_sampled_by_sampler(
        self,
        name: str,
        context: Context | None,
        kind: SpanKind,
        attributes: types.Attributes,
        links: Sequence[Link] | None,
        start_time: int | None,
        record_exception: bool,
        set_status_on_exception: bool,
    ) -> trace_api.Span:
        """The SDK's way: the sampler decides (roots, remote parents, foreign parents)."""
        source = self.source
        links = links or ()
        parent_context: SpanContext | None = trace_api.get_current_span(context).get_span_context()
        ids = source.ids
        if parent_context is None or not parent_context.is_valid:
            parent_context = None
            trace_id = ids.generator.generate_trace_id()
            random_trace_id = ids.generator.is_trace_id_random()
        else:
            trace_id = parent_context.trace_id
            random_trace_id = parent_context.trace_flags.random_trace_id
        result = self.sampler.should_sample(context, trace_id, name, kind, attributes, links)
        decision = result.decision
        sampled_bit = _SAMPLED if decision is _RECORD_AND_SAMPLE else 0
        bits = sampled_bit | (_RANDOM if random_trace_id else 0)
        span_id = ids.generator.generate_span_id()
        trace_state = result.trace_state or DEFAULT_TRACE_STATE
        if decision is not _RECORD_AND_SAMPLE and decision is not _RECORD_ONLY:
            return unsampled(trace_id, span_id, _FLAGS[bits], trace_state)
        own, dropped = _attributes.initial(
            result.attributes, source.max_attributes, source.max_length
        )
        span = new_span(
            recording_class(record_exception, set_status_on_exception),
            source,
            name,
            trace_id,
            span_id,
            _FLAGS[bits],
            trace_state,
            parent_context,
            kind,
            own,
            time_ns() if start_time is None else start_time,
        )
        bounded_links = links_of(links, source)
        if bounded_links is not None or dropped:
            start_extras(span, bounded_links, dropped)
        notify_start(source.pipeline.processors, span, context)
        return span

    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = _INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> "CurrentSpan":
        return CurrentSpan(
            self,
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
            end_on_exit,
        )


class CurrentSpan:
    """``with tracer.start_as_current_span(...) as span`` (also a decorator)."""

    __slots__ = ("_arguments", "_span", "_token", "_tracer")

    def __init__(self, tracer: LeanTracer, *arguments: Any) -> None:
        self._tracer = tracer
        self._arguments = arguments
        self._span: trace_api.Span | None = None
        self._token: Any = None

    def __enter__(self) -> trace_api.Span:
        (name, context, kind, attributes, links, start, record, set_status, _) = self._arguments
        span = self._span = self._tracer.start_span(
            name, context, kind, attributes, links, start, record, set_status
        )
        self._token = runtime.attach(Context({**runtime.get_current(), SPAN: span}))
        return span

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        span = self._span
        if span is None:
            return
        try:
            runtime.reset(self._token)
        except Exception:  # left in another Context, or twice: as OpenTelemetry's detach
            LOGGER.exception("Failed to detach context")
        arguments = self._arguments
        if isinstance(exc, Exception) and span.is_recording():
            if arguments[6]:
                span.record_exception(exc)
            if arguments[7]:
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        if arguments[8]:
            span.end()

    def __call__(self, function: _F) -> _F:
        """Decorate ``function``: a new span around every call (coroutines: until done)."""
        tracer, arguments = self._tracer, self._arguments

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def traced_coroutine(*args: Any, **kwargs: Any) -> Any:
                with CurrentSpan(tracer, *arguments):
                    return await function(*args, **kwargs)

            return traced_coroutine  # type: ignore[return-value]

        @functools.wraps(function)
        def traced(*args: Any, **kwargs: Any) -> Any:
            with CurrentSpan(tracer, *arguments):
                return function(*args, **kwargs)

        return traced  # type: ignore[return-value]


def shared_attributes(values: Mapping[str, types.AnyValue]) -> SharedAttributes:
    """Attributes (already valid) that spans started with them may share until written."""
    return SharedAttributes(values)
