"""Short, stable names for asyncio things: coroutines, tasks, loop callbacks.

Used as metric attributes and in snapshots, so they name code (qualified names), never
objects (no addresses, no argument reprs).
"""

import asyncio
import functools


def code_name(obj: object) -> str:
    """``module.qualname`` of a function-like object (or of its type)."""
    target = obj if hasattr(obj, "__qualname__") else type(obj)
    qualname = getattr(target, "__qualname__", None) or type(obj).__name__
    module = getattr(target, "__module__", None)
    return f"{module}.{qualname}" if isinstance(module, str) and module else str(qualname)


def coroutine_name(coro: object) -> str:
    qualname = getattr(coro, "__qualname__", None)
    return qualname if isinstance(qualname, str) else type(coro).__qualname__


def callback_name(callback: object) -> str:
    """What a loop callback runs: ``Task <coroutine>`` for task steps, else the function."""
    for _ in range(8):  # partials of partials
        if isinstance(callback, functools.partial):
            callback = callback.func
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return f"Task {coroutine_name(owner.get_coro())}"
    return code_name(callback)
