"""What the spans of one tracer share: processors, resource, scope and limits.

A span keeps one reference to its ``SpanSource`` instead of a field per setting. The
``Pipeline`` (one per provider) holds the bound processor hooks as tuples, replaced
whole when a processor is added, so a span in flight always sees a consistent set.
"""

import logging
from typing import Any, Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor
from opentelemetry.sdk.util.instrumentation import InstrumentationInfo, InstrumentationScope

from scopetel._internal_errors import report_internal_error
from scopetel._trace_sdk import unread_spans
from scopetel._trace_sdk.ids import Ids

LOGGER: Final = logging.getLogger("opentelemetry.sdk.trace")


def _overrides_on_ending(processor: SpanProcessor) -> bool:
    return getattr(type(processor), "_on_ending", None) is not SpanProcessor._on_ending


class Pipeline:
    """The processors of one provider, and those that define the SDK's ``_on_ending``.

    Spans look each processor's ``on_start``/``on_end`` up at every call: a processor
    may rebind them (scopetel's switchable processor binds its only delegate's).
    """

    __slots__ = ("ending", "processors")

    def __init__(self) -> None:
        self.processors: tuple[SpanProcessor, ...] = ()
        self.ending: tuple[SpanProcessor, ...] = ()

    def add(self, processor: SpanProcessor) -> None:
        self.processors = (*self.processors, processor)
        if _overrides_on_ending(processor):
            self.ending = (*self.ending, processor)


def notify_start(processors: tuple[SpanProcessor, ...], span: Any, parent_context: Any) -> None:
    """Call every ``on_start``; a processor that raises is logged, never raised to the caller."""
    for processor in processors:
        try:
            processor.on_start(span, parent_context=parent_context)
        except Exception:
            report_internal_error("span processor on_start")


def notify_end(
    processors: tuple[SpanProcessor, ...], ending: tuple[SpanProcessor, ...], span: Any
) -> None:
    """Call every ``_on_ending``, then every ``on_end``; failures are logged, never raised."""
    for processor in ending:
        try:
            processor._on_ending(span)
        except Exception:
            report_internal_error("span processor _on_ending")
    for processor in processors:
        try:
            processor.on_end(span)
        except Exception:
            report_internal_error("span processor on_end")


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
        "unread_role",
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
        self.unread_role = unread_spans.role_of(scope.name)
