"""The current OpenTelemetry Context, read and replaced at the cost of one ContextVar call.

``opentelemetry.context.get_current()`` and ``attach()`` are two Python calls each
around one ``ContextVar`` operation; every span and scope entry makes several of them.
With OpenTelemetry's default runtime context (``ContextVarsRuntimeContext``, unless
``OTEL_PYTHON_CONTEXT`` names another one) the functions here are that ContextVar's own
methods, found once at import and only read: the same variable, so code using
OpenTelemetry's public functions sees exactly the same Context. With any other runtime
context they are OpenTelemetry's public functions.
"""

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Final

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext


def _context_variable() -> "ContextVar[Context] | None":
    runtime = getattr(otel_context, "_RUNTIME_CONTEXT", None)
    if type(runtime) is not ContextVarsRuntimeContext:
        return None
    variable = getattr(runtime, "_current_context", None)
    return variable if isinstance(variable, ContextVar) else None


_VARIABLE: Final = _context_variable()

get_current: Final[Callable[[], Context]] = (
    otel_context.get_current if _VARIABLE is None else _VARIABLE.get
)
"""The current Context (``opentelemetry.context.get_current``)."""

attach: Final[Callable[[Context], Token[Context]]] = (
    otel_context.attach if _VARIABLE is None else _VARIABLE.set
)
"""Make a Context current; returns a token (``opentelemetry.context.attach``)."""

reset: Final[Callable[[Token[Context]], None]] = (
    otel_context.detach if _VARIABLE is None else _VARIABLE.reset
)
"""Undo an ``attach`` by its token. It may raise (``ValueError``/``RuntimeError``) for a
token of another Context or one used twice: callers decide what that means."""
