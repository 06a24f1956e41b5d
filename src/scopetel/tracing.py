"""``sentry_sdk.tracing``: the span classes, transaction sources and ``@trace``.

``Span`` and ``Transaction`` are scopetel's facades over OpenTelemetry spans (see
``scopetel._tracing``); ``NoOpSpan`` is a span that records nothing, for code that
returns one where it has nothing to trace.
"""

from enum import StrEnum
from types import TracebackType
from typing import Any, Final, Self

from opentelemetry.trace import INVALID_SPAN

from scopetel._tracing.decorator import make_trace
from scopetel._tracing.span import Span
from scopetel._tracing.transaction import Transaction, start_span

__all__ = [
    "BAGGAGE_HEADER_NAME",
    "SENTRY_TRACE_HEADER_NAME",
    "NoOpSpan",
    "Span",
    "Transaction",
    "TransactionSource",
    "trace",
]

BAGGAGE_HEADER_NAME: Final = "baggage"
SENTRY_TRACE_HEADER_NAME: Final = "sentry-trace"


class TransactionSource(StrEnum):
    """How a transaction got its name (``transaction_info.source``)."""

    COMPONENT = "component"
    CUSTOM = "custom"
    ROUTE = "route"
    TASK = "task"
    URL = "url"
    VIEW = "view"


class NoOpSpan(Span):
    """A span that records nothing: entering it changes nothing, its children neither."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(INVALID_SPAN)

    def start_child(
        self,
        op: str | None = None,
        name: str | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> "NoOpSpan":
        return NoOpSpan()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def _start_for_trace(op: str | None, name: str) -> Span:
    return start_span(op=op, name=name)


trace = make_trace(_start_for_trace)
"""Decorator: ``@trace`` or ``@trace(op=..., name=...)`` on functions, coroutines, generators."""
