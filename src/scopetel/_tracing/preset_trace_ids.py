"""A root span's trace id chosen before it starts, and the id generator that honours it.

A ``Transaction`` that continues no trace (``continue_trace`` without usable headers)
has no OpenTelemetry span until it starts, yet code may read its ``trace_id`` before
that (to log it, to return it in a response header). The transaction then picks the id
and starts its span with it preset here; the provider's id generator, wrapped once when
scopetel sets the provider up, hands it out to that one span.
"""

from collections.abc import Callable
from contextvars import ContextVar
from typing import Final, TypeVar

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator

from scopetel._random_ids import random_bits

_T = TypeVar("_T")
_PRESET: Final[ContextVar[int | None]] = ContextVar("scopetel_preset_trace_id", default=None)


class PresetTraceIds(IdGenerator):
    """Another generator's ids, except a trace id preset by :func:`start_with_trace_id`."""

    def __init__(self, inner: IdGenerator) -> None:
        self.inner = inner
        # every span asks for a span id: bound directly, so it costs no extra call
        self.generate_span_id = inner.generate_span_id  # type: ignore[method-assign]

    def generate_span_id(self) -> int:
        return self.inner.generate_span_id()

    def generate_trace_id(self) -> int:
        preset = _PRESET.get()
        return self.inner.generate_trace_id() if preset is None else preset


def install(provider: TracerProvider) -> None:
    """Wrap ``provider``'s id generator (once); tracers it makes from now on use it."""
    generator = getattr(provider, "id_generator", None)
    if isinstance(generator, IdGenerator) and not isinstance(generator, PresetTraceIds):
        provider.id_generator = PresetTraceIds(generator)  # type: ignore[assignment]


def new_trace_id() -> int:
    """A random, valid (non-zero) 128-bit trace id."""
    return random_bits(128) or 1


def start_with_trace_id(trace_id: int | None, start: Callable[[], _T]) -> _T:
    """``start()``, during which a new root span gets ``trace_id`` (if not None)."""
    if trace_id is None:
        return start()
    token = _PRESET.set(trace_id)
    try:
        return start()
    finally:
        _PRESET.reset(token)
