"""What the spans of one tracer share: processors, resource, scope and limits.

A span keeps one reference to its ``SpanSource`` instead of a field per setting. The
``Pipeline`` (one per provider) holds the bound processor hooks as tuples, replaced
whole when a processor is added, so a span in flight always sees a consistent set.
"""

import logging
from collections.abc import Callable
from typing import Any, Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor
from opentelemetry.sdk.util.instrumentation import InstrumentationInfo, InstrumentationScope

from scopetel._trace_sdk.ids import Ids

LOGGER: Final = logging.getLogger("opentelemetry.sdk.trace")
Hook = Callable[[Any], None]
StartHook = Callable[..., None]


def _overrides_on_ending(processor: SpanProcessor) -> bool:
    return getattr(type(processor), "_on_ending", None) is not SpanProcessor._on_ending


class Pipeline:
    """The processors of one provider, as tuples of their bound hooks."""

    __slots__ = ("on_end", "on_ending", "on_start", "processors")

    def __init__(self) -> None:
        self.processors: tuple[SpanProcessor, ...] = ()
        self.on_start: tuple[StartHook, ...] = ()
        self.on_ending: tuple[Hook, ...] = ()  # the SDK's private pre-end hook, when defined
        self.on_end: tuple[Hook, ...] = ()

    def add(self, processor: SpanProcessor) -> None:
        self.processors = (*self.processors, processor)
        self.on_start = (*self.on_start, processor.on_start)
        if _overrides_on_ending(processor):
            self.on_ending = (*self.on_ending, processor._on_ending)
        self.on_end = (*self.on_end, processor.on_end)


def notify_start(hooks: tuple[StartHook, ...], span: object, parent_context: object) -> None:
    """Call every ``on_start``; a processor that raises is logged, never raised to the caller."""
    for hook in hooks:
        try:
            hook(span, parent_context=parent_context)
        except Exception:
            LOGGER.exception("span processor failed in on_start")


def notify(hooks: tuple[Hook, ...], span: object) -> None:
    """Call every ``on_end`` (or ``_on_ending``); failures are logged, never raised."""
    for hook in hooks:
        try:
            hook(span)
        except Exception:
            LOGGER.exception("span processor failed at the end of a span")


class SpanSource:
    """One tracer's shared settings, read by its spans."""

    __slots__ = (
        "enabled",
        "ids",
        "info",
        "limits",
        "max_attributes",
        "max_length",
        "pipeline",
        "resource",
        "scope",
    )

    def __init__(
        self,
        pipeline: Pipeline,
        resource: Resource,
        scope: InstrumentationScope,
        info: InstrumentationInfo,
        limits: SpanLimits,
        ids: Ids,
    ) -> None:
        self.pipeline = pipeline
        self.ids = ids  # replaced by the provider when its id generator is
        self.resource = resource
        self.scope = scope
        self.info = info
        self.limits = limits
        self.max_attributes: int | None = limits.max_span_attributes
        self.max_length: int | None = limits.max_span_attribute_length
        self.enabled = True
