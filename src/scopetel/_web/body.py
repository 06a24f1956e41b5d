"""Response bodies produced step by step inside the request's captured Context.

A server drives a streamed body after the application returned, from whatever thread
or task it likes. Each step (``next``, ``close``; ``__anext__``, ``aclose``) is run in
the ``contextvars.Context`` captured when the application returned, where the request's
span and scopes are current, so spans made while producing the body are children of
the request and the server's own Context is never touched. The owner learns once how
the body ended: ``COMPLETE``, ``CLOSED`` (before the end: the client went away) or
the exception the body raised.
"""

import contextvars
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Final, Generic, Self, TypeVar

from scopetel._context.steps import AwaitInContext

T = TypeVar("T")

COMPLETE: Final = "complete"
CLOSED: Final = "closed"
Outcome = str | BaseException
OnDone = Callable[[Outcome], None]


class ContextIterator(Generic[T]):
    """A WSGI iterable (or Django streaming content) whose steps run in ``ctx``."""

    __slots__ = ("_ctx", "_done", "_inner", "_iterator", "_on_done")

    def __init__(self, inner: Iterable[T], ctx: contextvars.Context, on_done: OnDone) -> None:
        self._inner = inner
        self._ctx = ctx
        self._on_done = on_done
        self._iterator: Iterator[T] | None = None
        self._done = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            if self._iterator is None:
                self._iterator = self._ctx.run(iter, self._inner)
            return self._ctx.run(next, self._iterator)
        except StopIteration:
            self._finish(COMPLETE)
            raise
        except BaseException as error:
            self._finish(error)
            raise

    def close(self) -> None:
        """Close the inner iterable (in ``ctx``); a body closed before its end was cut short."""
        try:
            close = getattr(self._inner, "close", None)
            if close is not None:
                self._ctx.run(close)
        finally:
            self._finish(CLOSED)

    def _finish(self, outcome: Outcome) -> None:
        if not self._done:
            self._done = True
            self._on_done(outcome)


class ContextAsyncIterator(Generic[T]):
    """An async body (Django async streaming content) whose steps run in ``ctx``.

    ``close()`` is synchronous, for callers that cannot await (Django's response
    closers): it reports the body as cut short and leaves the inner iterator to the
    event loop's async-generator finalizer.
    """

    __slots__ = ("_ctx", "_done", "_inner", "_on_done")

    def __init__(self, inner: AsyncIterator[T], ctx: contextvars.Context, on_done: OnDone) -> None:
        self._inner = inner
        self._ctx = ctx
        self._on_done = on_done
        self._done = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        if self._done:
            raise StopAsyncIteration
        try:
            value: T = await AwaitInContext(self._ctx, self._inner.__anext__())
        except StopAsyncIteration:
            self._finish(COMPLETE)
            raise
        except BaseException as error:
            self._finish(error)
            raise
        return value

    async def aclose(self) -> None:
        try:
            aclose: Any = getattr(self._inner, "aclose", None)
            if aclose is not None:
                await AwaitInContext(self._ctx, aclose())
        finally:
            self._finish(CLOSED)

    def close(self) -> None:
        self._finish(CLOSED)

    def _finish(self, outcome: Outcome) -> None:
        if not self._done:
            self._done = True
            self._on_done(outcome)
