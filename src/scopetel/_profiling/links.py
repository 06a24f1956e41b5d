"""The span processor that links spans to profiles, and runs the trace lifecycle.

Added to the provider only when profiling is configured. For each sampled span started
while the profiler samples, it sets ``sentry.profiler_id`` and the thread the span
started on (``thread.id``, ``thread.name``, OpenTelemetry's names): Sentry shows a span's
flame graph from the samples of that thread, in that profiler run, during the span. A
transaction's ``contexts.profile`` comes from its root's attribute (``_pipeline``).

In the ``trace`` lifecycle, a sampled local root span (a new trace, or a remote parent)
that is chosen for profiling keeps the profiler sampling until it ends.
"""

import logging
import random
import threading
from collections.abc import Callable
from typing import Any, Final

from opentelemetry.context import Context, get_value
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from scopetel._context.keys import CUSTOM_SAMPLING_CONTEXT
from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import guarded
from scopetel._profiling.profiler import Profiler
from scopetel._semconv.sentry_attributes import OP, PROFILER_ID, THREAD_ID, THREAD_NAME

LOGGER: Final = logging.getLogger("scopetel")
MAX_OPEN_ROOTS: Final = 10_000
_MISSING: Final = object()

RootRate = Callable[[Span, Context | None], float]
"""The chance that a sampled root span is profiled (trace lifecycle)."""


def always(span: Span, parent_context: Context | None) -> float:
    return 1.0


class ProfileLinks(SpanProcessor):
    """See the module docstring."""

    def __init__(
        self,
        profiler: Profiler,
        *,
        trace_lifecycle: bool,
        root_rate: RootRate = always,
    ) -> None:
        self._profiler = profiler
        self._trace_lifecycle = trace_lifecycle
        self._root_rate = root_rate
        # The native thread id, as samples have it (under gevent, threading.get_ident
        # names a greenlet, and thread names are greenlets' too: left out).
        self._get_ident = profiler.native.get_ident
        self._thread_names = profiler.native.mode == "thread"
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._roots: dict[int, None] = {}  # profiled roots still open, oldest first

    @guarded(None)
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        context = span.context
        if context is None or not context.trace_flags.sampled:
            return
        if self._trace_lifecycle and (span.parent is None or span.parent.is_remote):
            self._root_started(span, parent_context)
        profiler_id = self._profiler.active_id
        if profiler_id is None:
            return
        attributes: dict[str, str | int] = {PROFILER_ID: profiler_id, THREAD_ID: self._get_ident()}
        if self._thread_names:
            attributes[THREAD_NAME] = threading.current_thread().name
        span.set_attributes(attributes)

    def _root_started(self, span: Span, parent_context: Context | None) -> None:
        rate = self._root_rate(span, parent_context)
        if rate <= 0.0 or (rate < 1.0 and random.random() >= rate):
            return
        evicted = 0
        with self._lock:
            roots = self._roots
            roots[span.context.span_id] = None
            while len(roots) > MAX_OPEN_ROOTS:  # roots that never end must not pin it
                del roots[next(iter(roots))]
                evicted += 1
        self._profiler.acquire()
        for _ in range(evicted):
            self._profiler.release()

    @guarded(None)
    def on_end(self, span: ReadableSpan) -> None:
        if not self._roots or span.context is None:
            return
        with self._lock:
            found = self._roots.pop(span.context.span_id, _MISSING)
        if found is not _MISSING:
            self._profiler.release()

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


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
        if isinstance(value, int | float) and 0.0 <= value <= 1.0:
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
