"""Exceptions nobody retrieved become unhandled error events (mechanism ``asyncio``).

``BaseEventLoop.call_exception_handler`` is wrapped (for every loop, whenever it was
created): each context it receives with an ``exception`` is reported, then the
original runs, so a handler installed with ``loop.set_exception_handler`` (before or
after instrumenting) and the default handler (which logs) still run. The exception is
marked as reported, so the logging instrumentation does not report it again.

That covers a task's exception never retrieved ("Task exception was never retrieved",
when the task is garbage collected), exceptions raised by ``call_soon``/``call_later``
callbacks, and errors of transports and async generators.
"""

import asyncio
import contextvars
import functools
from collections.abc import Callable
from typing import Any

from scopetel.instrumentation import capture_unhandled, report_internal_error
from scopetel_instrumentation_stdlib._asyncio_names import callback_name, coroutine_name

Handler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]


def wrap_call_exception_handler(original: Handler) -> Handler:
    @functools.wraps(original)
    def call_exception_handler(self: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        report_loop_exception(context)
        original(self, context)

    return call_exception_handler


def report_loop_exception(context: dict[str, Any]) -> None:
    """Send the exception in an exception-handler ``context``, if any; never raises."""
    try:
        error = context.get("exception")
        if not isinstance(error, Exception):
            return
        details: dict[str, Any] = {"message": str(context.get("message") or "")}
        future = context.get("future") or context.get("task")
        if isinstance(future, asyncio.Task):
            details["task"] = future.get_name()
            details["coroutine"] = coroutine_name(future.get_coro())
        handle = context.get("handle")
        if isinstance(handle, asyncio.Handle):
            details["callback"] = callback_name(getattr(handle, "_callback", None))
        run_in = _context_of(future) or _context_of(handle)
        capture_unhandled(error, "asyncio", contexts={"asyncio": details}, run_in=run_in)
    except Exception:
        report_internal_error("asyncio exception handler")


def _context_of(owner: object) -> contextvars.Context | None:
    """The Context a task (Python 3.12+) or a callback handle ran in."""
    get_context = getattr(owner, "get_context", None)
    ctx = get_context() if callable(get_context) else getattr(owner, "_context", None)
    return ctx if isinstance(ctx, contextvars.Context) else None
