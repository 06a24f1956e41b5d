"""``sentry_sdk.traces``: the span API of span streaming (``trace_lifecycle="stream"``).

``start_span(name, attributes=None, parent_span=..., active=True)`` starts a span (a
child of the active one, of ``parent_span``, or with ``parent_span=None`` a root);
``StreamedSpan`` has sentry_sdk's ``name``, ``status`` (``"ok"``/``"error"``),
``set_attribute(s)``, ``remove_attribute``, ``get_attributes``, ``end()``. The spans
are scopetel's (OpenTelemetry spans): with ``trace_lifecycle="stream"`` they are sent
one by one, otherwise they make transactions as any span does.

``continue_trace(headers)`` makes the next root span continue the incoming trace, and
``new_trace()`` makes it start a new one (scopetel gives every root without an incoming
trace a new trace id; it also gives span-less events a new trace). Both act on the
current Context until the block that made its scopes current ends.
"""

from collections.abc import Mapping
from enum import StrEnum
from types import TracebackType
from typing import Any, Final, Self

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN

from scopetel._coerce import dropped, text, text_headers
from scopetel._context import entries
from scopetel._context.active_scopes import get_isolation_scope
from scopetel._context.keys import DSC, SPAN, SPAN_FACADE
from scopetel._propagation.headers import extract_incoming
from scopetel._propagation.propagator import RemoteParentSpan
from scopetel._semconv import sentry_attributes as attrs
from scopetel._tracing.span import Span
from scopetel._tracing.transaction import get_current_span as _current_span
from scopetel._tracing.transaction import start_span as _start_span
from scopetel._tracing.transaction import start_transaction
from scopetel.tracing import TransactionSource, trace

__all__ = [
    "SegmentNameSource",
    "SpanStatus",
    "StreamedSpan",
    "continue_trace",
    "get_current_span",
    "new_trace",
    "start_span",
    "trace",
]

_ACTIVE_PARENT: Final[Any] = object()  # parent_span not given: the active span


class SpanStatus(StrEnum):
    OK = "ok"
    ERROR = "error"


SegmentNameSource = TransactionSource
"""How a segment (a root span) got its name: the sources of transactions."""


class StreamedSpan(Span):
    """A span of the streaming API (see the module docstring)."""

    __slots__ = ("_active",)

    _active: bool

    @classmethod
    def adopt(cls, span: Span, active: bool) -> "StreamedSpan":
        parent = span.parent_span_id
        segment = span.containing_transaction
        adopted = cls(span.otel_span, int(parent, 16) if parent else None, segment)
        adopted._active = active
        return adopted

    @property
    def active(self) -> bool:
        return self._active

    @property
    def status(self) -> str:
        """``"error"`` once set so (or left by an exception), else ``"ok"``."""
        return "error" if super().status not in (None, "ok") else "ok"

    @status.setter
    def status(self, value: str) -> None:
        status = text(value, "span status")
        if status not in ("ok", "error"):
            dropped("StreamedSpan.status", value, 'is not "ok" or "error"; ignored:')
            return
        self.set_status("ok" if status == "ok" else "internal_error")

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def remove_attribute(self, key: str) -> None:
        self.set_attribute(key, None)  # OpenTelemetry cannot delete: an empty value

    def get_attributes(self) -> dict[str, Any]:
        return dict(getattr(self.otel_span, "attributes", None) or {})

    def end(self, end_timestamp: Any = None) -> None:
        self.finish(end_timestamp=end_timestamp)

    def __enter__(self) -> Self:
        return super().__enter__() if self._active else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._active:
            super().__exit__(exc_type, exc, tb)
            return
        if exc is not None and super().status is None:
            self.set_status("internal_error")
        self.finish()


def start_span(
    name: str,
    attributes: Mapping[str, Any] | None = None,
    parent_span: Any = _ACTIVE_PARENT,
    active: bool = True,
) -> StreamedSpan:
    """Start a span (see the module docstring); end it with ``end()`` or a ``with`` block."""
    kwargs: dict[str, Any] = {"name": name, "attributes": dict(attributes or {})}
    op = kwargs["attributes"].pop(attrs.OP, None)
    if parent_span is _ACTIVE_PARENT:
        span = _start_span(op=op, **kwargs)
    elif isinstance(parent_span, Span):
        span = parent_span.start_child(op=op, **kwargs)
    else:
        if parent_span is not None:
            dropped("traces.start_span", parent_span, "is not a span; a root is started:")
        span = start_transaction(op=op, **kwargs)  # a root (of an incoming trace, if any)
    return StreamedSpan.adopt(span, active)


def get_current_span() -> StreamedSpan | None:
    """The active span, if it was started through this module."""
    span = _current_span()
    return span if isinstance(span, StreamedSpan) else None


def continue_trace(incoming: Mapping[str, Any]) -> None:
    """Make the next root span continue the trace of ``incoming`` headers."""
    found = extract_incoming(text_headers(incoming, "continue_trace headers"))
    if found is None:
        new_trace()
        return
    remote = RemoteParentSpan(found.span_context, found.parent_sampled)
    _replace({SPAN: remote, SPAN_FACADE: None, DSC: found.dsc})


def new_trace() -> None:
    """Make the next root span (and span-less events) start a new trace."""
    isolation = get_isolation_scope()
    isolation.trace_id = isolation.span_id = None
    if otel_trace.get_current_span(entries.current()).get_span_context().is_remote:
        _replace({SPAN: INVALID_SPAN, SPAN_FACADE: None, DSC: None})


def _replace(values: Mapping[str, object]) -> None:
    """The current Context with ``values``; it keeps its entry, so the exit of the block
    that made it restores what was before."""
    otel_context.attach(Context({**entries.current(), **values}))
