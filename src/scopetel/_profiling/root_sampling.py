"""Which sampled root spans the ``trace`` lifecycle profiles: ``profiles_sampler`` or
``profiles_sample_rate`` (sentry_sdk's transaction profiling), else every one."""

import logging
from collections.abc import Callable
from typing import Any, Final

from opentelemetry.context import Context, get_value
from opentelemetry.sdk.trace import Span

from scopetel._context.keys import CUSTOM_SAMPLING_CONTEXT
from scopetel._semconv.sentry_attributes import OP

LOGGER: Final = logging.getLogger("scopetel")

RootRate = Callable[[Span, Context | None], float]
"""The chance that a sampled root span is profiled."""


def always(span: Span, parent_context: Context | None) -> float:
    return 1.0


class RootSampler:
    """``profiles_sampler`` / ``profiles_sample_rate`` deciding for each root span."""

    def __init__(self, rate: float | None, sampler: Callable[..., Any] | None) -> None:
        self._rate = rate or 0.0
        self._sampler = sampler
        self._warned = False

    def __call__(self, span: Span, parent_context: Context | None) -> float:
        if self._sampler is None:
            return self._rate
        try:
            value = self._sampler(_sampling_context(span, parent_context))
        except Exception:
            self._warn("profiles_sampler raised; the span is not profiled", exc_info=True)
            return 0.0
        if isinstance(value, bool):
            return 1.0 if value else 0.0
        if isinstance(value, (int, float)) and 0.0 <= value <= 1.0:
            return float(value)
        self._warn("profiles_sampler returned %r, not a rate; the span is not profiled", value)
        return 0.0

    def _warn(self, message: str, *args: object, exc_info: bool = False) -> None:
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        LOGGER.log(level, "scopetel: " + message, *args, exc_info=exc_info)


def _sampling_context(span: Span, parent_context: Context | None) -> dict[str, Any]:
    """What ``profiles_sampler`` gets: shaped like ``traces_sampler``'s context."""
    data = dict(span.attributes or {})
    parent = span.parent
    transaction_context = {
        "name": span.name,
        "op": data.get(OP),
        "trace_id": f"{span.context.trace_id:032x}",
        "parent_span_id": None if parent is None else f"{parent.span_id:016x}",
        "parent_sampled": None if parent is None else parent.trace_flags.sampled,
        "data": data,
    }
    result: dict[str, Any] = {
        "transaction_context": transaction_context,
        "parent_sampled": transaction_context["parent_sampled"],
    }
    custom = get_value(CUSTOM_SAMPLING_CONTEXT, parent_context)
    if isinstance(custom, dict):
        result.update(custom)
    return result
