"""Await an awaitable with each of its steps run inside a given ``contextvars.Context``.

A coroutine or async generator driven by someone else (a server streaming a body, a
task awaiting a traced async generator) runs in the driver's Context; wrapping each
``await`` step keeps the work in the Context it belongs to, without touching the
driver's.
"""

import contextvars
from collections.abc import Awaitable, Generator
from typing import Any


class AwaitInContext(Generator[Any, Any, Any]):
    """Await ``awaitable`` with each of its steps run inside ``ctx``."""

    __slots__ = ("_ctx", "_iterator")

    def __init__(self, ctx: contextvars.Context, awaitable: Awaitable[Any]) -> None:
        self._ctx = ctx
        self._iterator = awaitable.__await__()

    def __await__(self) -> Generator[Any, Any, Any]:
        return self

    def send(self, value: Any) -> Any:
        return self._ctx.run(self._iterator.send, value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        error = typ if val is None else val
        return self._ctx.run(self._iterator.throw, error)

    def close(self) -> None:
        self._ctx.run(self._iterator.close)
