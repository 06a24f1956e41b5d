"""``@trace``: a span around each call of a function, coroutine or (async) generator.

A generator's body runs only when its consumer asks for the next item, in the
consumer's Context. So each step of a traced generator runs in a private copy of the
Context it was *called* in, where its span is active: the consumer never sees the
generator's span or scopes, and two generators closed in any order leave nothing behind.
"""

import contextvars
import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Coroutine, Generator
from typing import Any, TypeVar, overload

from scopetel._coerce import dropped, optional_text, text
from scopetel._context.steps import AwaitInContext
from scopetel._tracing.span import Span

_F = TypeVar("_F", bound=Callable[..., Any])
SpanFactory = Callable[[str | None, str], Span]


def _qualified_name(function: Callable[..., Any]) -> str:
    """``module.Qualified.name``, as sentry_sdk describes a traced function."""
    try:
        module = getattr(function, "__module__", None)
        qualname = getattr(function, "__qualname__", None) or repr(function)
        name = text(qualname, "@trace name")
        return f"{module}.{name}" if isinstance(module, str) and module else name
    except Exception:  # a callable whose attributes or repr raise
        return text(function, "@trace name")


def make_trace(start: SpanFactory) -> Callable[..., Any]:
    """Build the ``trace`` decorator over ``start(op, name) -> entered-able Span``."""

    @overload
    def trace(func: _F) -> _F: ...
    @overload
    def trace(
        func: None = None, *, op: str | None = None, name: str | None = None
    ) -> Callable[[_F], _F]: ...

    def trace(
        func: Callable[..., Any] | None = None,
        *,
        op: str | None = None,
        name: str | None = None,
    ) -> Any:
        def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
            given: object = function  # callers pass whatever they got
            if not callable(given):
                dropped("@trace", given, "is not callable; left undecorated:")
                return given  # type: ignore[return-value]
            span_name = optional_text(name, "@trace name") or _qualified_name(function)
            span_op = optional_text(op, "@trace op") or "function"
            if inspect.isasyncgenfunction(function):
                return _wrap_async_generator(function, start, span_op, span_name)
            if inspect.isgeneratorfunction(function):
                return _wrap_generator(function, start, span_op, span_name)
            if inspect.iscoroutinefunction(function):
                return _wrap_coroutine(function, start, span_op, span_name)
            return _wrap_function(function, start, span_op, span_name)

        return decorate(func) if func is not None else decorate

    return trace


def _wrap_function(
    function: Callable[..., Any], start: SpanFactory, op: str, name: str
) -> Callable[..., Any]:
    @functools.wraps(function)
    def traced(*args: Any, **kwargs: Any) -> Any:
        with start(op, name):
            return function(*args, **kwargs)

    return traced


def _wrap_coroutine(
    function: Callable[..., Coroutine[Any, Any, Any]], start: SpanFactory, op: str, name: str
) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(function)
    async def traced(*args: Any, **kwargs: Any) -> Any:
        with start(op, name):
            return await function(*args, **kwargs)

    return traced


def _wrap_generator(
    function: Callable[..., Generator[Any, Any, Any]], start: SpanFactory, op: str, name: str
) -> Callable[..., Generator[Any, Any, Any]]:
    @functools.wraps(function)
    def traced(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        ctx = contextvars.copy_context()
        return _drive(ctx, functools.partial(_enter, start, op, name), function(*args, **kwargs))

    return traced


def _enter(start: SpanFactory, op: str, name: str) -> Span:
    span = start(op, name)
    span.__enter__()
    return span


def _drive(
    ctx: contextvars.Context, begin: Callable[[], Span], inner: Generator[Any, Any, Any]
) -> Generator[Any, Any, Any]:
    """Forward every step to ``inner`` inside ``ctx``; the span covers first step to end.

    The span starts with the first step, so a generator closed or dropped before it
    ever ran leaves no span open.
    """
    span = ctx.run(begin)
    error: BaseException | None = None
    try:
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            try:
                if to_throw is None:
                    value = ctx.run(inner.send, to_send)
                else:
                    value, to_throw = ctx.run(inner.throw, to_throw), None
            except StopIteration as stop:
                return stop.value
            try:
                to_send = yield value
            except GeneratorExit:
                ctx.run(inner.close)
                raise
            except BaseException as thrown:
                to_throw = thrown
    except BaseException as raised:
        error = raised
        raise
    finally:
        ctx.run(_exit, span, error)


def _exit(span: Span, error: BaseException | None) -> None:
    if error is None:
        span.__exit__(None, None, None)
    else:
        span.__exit__(type(error), error, error.__traceback__)


def _wrap_async_generator(
    function: Callable[..., AsyncGenerator[Any, Any]], start: SpanFactory, op: str, name: str
) -> Callable[..., AsyncGenerator[Any, Any]]:
    @functools.wraps(function)
    def traced(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        ctx = contextvars.copy_context()
        begin = functools.partial(_enter, start, op, name)
        return _drive_async(ctx, begin, function(*args, **kwargs))

    return traced


async def _drive_async(
    ctx: contextvars.Context, begin: Callable[[], Span], inner: AsyncGenerator[Any, Any]
) -> AsyncGenerator[Any, Any]:
    """Like ``_drive``, awaiting each step of ``inner`` inside ``ctx``."""
    span = ctx.run(begin)
    error: BaseException | None = None
    try:
        to_send: Any = None
        to_throw: BaseException | None = None
        while True:
            try:
                if to_throw is None:
                    value = await AwaitInContext(ctx, inner.asend(to_send))
                else:
                    step = inner.athrow(to_throw)
                    to_throw = None
                    value = await AwaitInContext(ctx, step)
            except StopAsyncIteration:
                return
            try:
                to_send = yield value
            except GeneratorExit:
                await AwaitInContext(ctx, inner.aclose())
                raise
            except BaseException as thrown:
                to_throw = thrown
    except BaseException as raised:
        error = raised
        raise
    finally:
        ctx.run(_exit, span, error)
