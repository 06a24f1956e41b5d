"""Hold the end of a server span that another instrumentation started.

Contrib's Django middleware ends its server span when the view returns, before the
server has streamed the body; contrib's WSGI and ASGI middleware end theirs outside
the Context where the request's scopes are current. When scopetel adopts such a span
it replaces ``end`` on that one span object: calls made by the other instrumentation
are swallowed, and scopetel ends the span once the request is really over, inside the
request's Context. The span's class and the other instrumentation's code are untouched.
"""

from types import MethodType
from typing import Any

from opentelemetry.trace import Span

from scopetel._internal_errors import report_internal_error

_MARK = "_scopetel_held_end"


class HeldEnd:
    """``end()`` of ``span`` is a no-op until :meth:`end` runs the original once."""

    __slots__ = ("_original", "_span")

    def __init__(self, span: Span, original: Any) -> None:
        self._span = span
        self._original = original

    def end(self, end_time: int | None = None) -> None:
        """End the span for real (once); later calls to ``span.end()`` stay no-ops."""
        original, self._original = self._original, None
        if original is not None:
            original(end_time)


def _swallow(span: Span, end_time: int | None = None) -> None:
    """``span.end()`` while scopetel holds it: the request is not over yet."""


def hold_end(span: Span) -> HeldEnd | None:
    """Hold ``span``'s end; None if it cannot be held (then it ends when its owner says)."""
    if not span.is_recording() or getattr(span, _MARK, False):
        return None
    try:
        original = span.end
        span.end = MethodType(_swallow, span)  # type: ignore[method-assign]
        setattr(span, _MARK, True)
    except (AttributeError, TypeError):
        return None
    except Exception:
        report_internal_error("hold_end")
        return None
    return HeldEnd(span, original)
