"""Sentry's ``traces_sample_rate`` / ``traces_sampler`` as an OpenTelemetry sampler.

Parent-based, like sentry-sdk 2.x:

- a local child follows its parent's decision (the hot path: nothing else is read);
- for a local root (no parent, or a remote one) ``traces_sampler``, when set, decides;
- else a remote parent's decision is followed when it made one;
- else ``traces_sample_rate`` decides (None: nothing is sampled).

A rate is applied by comparing it with ``sample_rand``: the incoming DSC's value when the
trace came with one, else a value derived from the trace id, so every service of a trace
that uses the same rate makes the same decision. Unsampled spans are dropped
(non-recording), so they cost little.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from math import isfinite
from numbers import Real
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.context import Context, get_value
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, TraceState
from opentelemetry.util.types import Attributes

from scopetel._context.keys import CUSTOM_SAMPLING_CONTEXT, FORCED_SAMPLED
from scopetel._internal_errors import LOGGER, report_internal_error
from scopetel._propagation.dsc import sample_rand_for
from scopetel._propagation.propagator import incoming_dsc_in, sampled_decision
from scopetel._semconv.sentry_attributes import OP, SAMPLE_RAND, SAMPLE_RATE, SOURCE

TracesSamplerCallback = Callable[[dict[str, Any]], float | bool]

_DROP: Final = Decision.DROP
_SAMPLE: Final = Decision.RECORD_AND_SAMPLE
_CLIENT_KINDS: Final = frozenset({SpanKind.CLIENT, SpanKind.PRODUCER})


def as_sample_rate(value: object) -> float | None:
    """``value`` as a rate in [0, 1] (a bool counts as 0 or 1); None when it is not one."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, (Real, Decimal)):
        return None
    rate = float(value)
    return rate if isfinite(rate) and 0.0 <= rate <= 1.0 else None


class TracesSampler(Sampler):
    """Sentry's sampling rules; see the module docstring."""

    follows_local_parent = True  # the lean tracer may decide local children itself

    def __init__(
        self,
        traces_sample_rate: float | None = None,
        traces_sampler: TracesSamplerCallback | None = None,
        on_root_dropped: Callable[[], None] | None = None,
        *,
        count_client_roots: bool = False,
    ) -> None:
        """Raise ValueError / TypeError for invalid arguments (explicit configuration).

        ``on_root_dropped`` is told of every root the rate or ``traces_sampler`` turned
        down while tracing is enabled (for ``sample_rate`` client reports), except
        ``CLIENT``/``PRODUCER`` roots without a remote parent unless
        ``count_client_roots``: those are no transactions (``orphan_spans="drop"``).
        """
        rate = None if traces_sample_rate is None else as_sample_rate(traces_sample_rate)
        if traces_sample_rate is not None and rate is None:
            raise ValueError(
                f"traces_sample_rate must be a number in [0, 1], got {traces_sample_rate!r}"
            )
        if traces_sampler is not None and not callable(traces_sampler):
            raise TypeError(f"traces_sampler must be callable, got {traces_sampler!r}")
        self._rate = rate
        self._traces_sampler = traces_sampler
        self._on_root_dropped = on_root_dropped
        self._count_client_roots = count_client_roots
        self._warned = False

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
        try:
            parent_span = trace.get_current_span(parent_context)
            parent = parent_span.get_span_context()
            if parent.is_valid and not parent.is_remote:
                if parent.trace_flags.sampled:
                    # The SDK gives a span the *sampler's* attributes: pass them through.
                    return SamplingResult(_SAMPLE, attributes, parent.trace_state)
                return SamplingResult(_DROP, None, parent.trace_state)
            return self._sample_root(parent_context, parent_span, trace_id, name, attributes, kind)
        except Exception:
            report_internal_error("TracesSampler.should_sample")
            return SamplingResult(_DROP)

    def get_description(self) -> str:
        callback = "set" if self._traces_sampler is not None else "unset"
        return f"TracesSampler{{traces_sample_rate={self._rate},traces_sampler={callback}}}"

    def _sample_root(
        self,
        parent_context: Context | None,
        parent_span: Span,
        trace_id: int,
        name: str,
        attributes: Attributes,
        kind: SpanKind | None,
    ) -> SamplingResult:
        if self._traces_sampler is None and self._rate is None:
            return SamplingResult(_DROP)  # tracing is off, whatever the caller decided
        parent = parent_span.get_span_context()
        remote_parent = parent if parent.is_valid else None
        parent_sampled = None if remote_parent is None else sampled_decision(parent_span)
        forced = get_value(FORCED_SAMPLED, parent_context)
        if isinstance(forced, bool):  # start_transaction(sampled=...)
            rate: float | None = 1.0 if forced else 0.0
        elif self._traces_sampler is not None:
            sampling_context = _sampling_context(
                parent_context, remote_parent, parent_sampled, trace_id, name, attributes
            )
            rate = self._ask_traces_sampler(self._traces_sampler, sampling_context, name)
        elif parent_sampled is not None:
            rate = 1.0 if parent_sampled else 0.0
        else:
            rate = self._rate
        trace_state = None if remote_parent is None else remote_parent.trace_state
        if rate is None:
            if self._traces_sampler is not None:
                self._root_dropped(kind, remote_parent is not None)
            return SamplingResult(_DROP, None, trace_state)
        sample_rand = sample_rand_for(trace_id, incoming_dsc_in(parent_context, trace_id))
        if sample_rand >= rate:
            self._root_dropped(kind, remote_parent is not None)
            return SamplingResult(_DROP, None, trace_state)
        attributes_out = {**(attributes or {}), SAMPLE_RATE: rate, SAMPLE_RAND: sample_rand}
        return SamplingResult(_SAMPLE, attributes_out, trace_state)

    def _root_dropped(self, kind: SpanKind | None, remote: bool) -> None:
        if self._on_root_dropped is None:
            return
        if remote or self._count_client_roots or kind not in _CLIENT_KINDS:
            self._on_root_dropped()

    def _ask_traces_sampler(
        self, callback: TracesSamplerCallback, sampling_context: dict[str, Any], name: str
    ) -> float | None:
        """The user's rate, or None (not sampled) with a warning when it gives none."""
        try:
            value: object = callback(sampling_context)
        except Exception:
            self._warn(
                "traces_sampler raised for %r; the trace is not sampled", name, exc_info=True
            )
            return None
        rate = as_sample_rate(value)
        if rate is None:
            self._warn(
                "traces_sampler returned %r for %r, not a bool or a number in [0, 1]; "
                "the trace is not sampled",
                value,
                name,
            )
        return rate

    def _warn(self, message: str, *args: object, exc_info: bool = False) -> None:
        """A user error: a warning the first time, debug after that (no log flood)."""
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        LOGGER.log(level, message, *args, exc_info=exc_info)


def _sampling_context(
    parent_context: Context | None,
    remote_parent: SpanContext | None,
    parent_sampled: bool | None,
    trace_id: int,
    name: str,
    attributes: Attributes,
) -> dict[str, Any]:
    """What ``traces_sampler`` receives, shaped like sentry-sdk's sampling context."""
    data = dict(attributes) if attributes else {}
    transaction_context = {
        "name": name,
        "op": data.get(OP),
        "source": data.get(SOURCE),
        "trace_id": f"{trace_id:032x}",
        "parent_span_id": None if remote_parent is None else f"{remote_parent.span_id:016x}",
        "parent_sampled": parent_sampled,
        "data": data,
    }
    sampling_context: dict[str, Any] = {
        "transaction_context": transaction_context,
        "parent_sampled": parent_sampled,
    }
    custom = get_value(CUSTOM_SAMPLING_CONTEXT, parent_context)
    if isinstance(custom, Mapping):
        sampling_context.update(custom)
    return sampling_context
