"""``UnsampledSpan``: a span the sampler dropped, for the price of four fields.

It is an OpenTelemetry ``NonRecordingSpan`` (every setter does nothing, processors
never see it) with its own span id, so headers propagated under it name it as the
SDK's would; its ``SpanContext`` is built only when something asks for it.
"""

from opentelemetry import trace as trace_api
from opentelemetry.trace import SpanContext, TraceFlags
from opentelemetry.trace.span import TraceState


class UnsampledSpan(trace_api.NonRecordingSpan):
    """A non-recording span of the lean core."""

    __slots__ = ("_span_context", "_trace_state", "span_id", "trace_flags", "trace_id")

    trace_flags: TraceFlags
    _span_context: SpanContext | None
    _trace_state: TraceState
    span_id: int
    trace_id: int

    def get_span_context(self) -> SpanContext:
        context = self._span_context
        if context is None:
            context = self._span_context = SpanContext(
                self.trace_id, self.span_id, False, self.trace_flags, self._trace_state
            )
        return context

    def __repr__(self) -> str:
        return f"UnsampledSpan({self.get_span_context()!r})"


def unsampled(
    trace_id: int, span_id: int, flags: TraceFlags, trace_state: TraceState
) -> UnsampledSpan:
    """A new non-recording span."""
    span = UnsampledSpan.__new__(UnsampledSpan)
    span.trace_id = trace_id
    span.span_id = span_id
    span.trace_flags = flags
    span._trace_state = trace_state
    span._span_context = None
    return span
