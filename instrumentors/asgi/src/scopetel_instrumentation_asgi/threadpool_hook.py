"""Sync endpoints run in a worker thread: while profiling, the request's root span names it.

Starlette and FastAPI run a plain ``def`` endpoint (and FastAPI the validation of its
response) through ``run_in_threadpool``, in one of anyio's worker threads, while the
server span was started, and tagged with its thread, on the event loop's thread. Sentry
shows a transaction's flame graph from the samples of the thread its root names, so the
root would show an idle loop. Each module's ``run_in_threadpool`` is wrapped once the
module is imported (before routes are made: a route keeps the function it was given), so
that the function called in the worker first moves the root's thread tag there, as
sentry-sdk's ``update_active_thread`` does.
"""

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final, TypeVar

from scopetel.instrumentation import ImportHook, update_active_thread

MODULES: Final = ("starlette.routing", "fastapi.routing")
NAME: Final = "run_in_threadpool"
T = TypeVar("T")


def _in_worker(function: Callable[..., T]) -> Callable[..., T]:
    def call(*args: Any, **kwargs: Any) -> T:
        update_active_thread()
        return function(*args, **kwargs)

    return call


def _wrapped(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def run_in_threadpool(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return await original(_in_worker(function), *args, **kwargs)

    run_in_threadpool.__scopetel_original__ = original  # type: ignore[attr-defined]
    return run_in_threadpool


class ThreadpoolHook:
    """Wraps ``run_in_threadpool`` in ``MODULES`` as they are imported; ``disable`` puts
    the originals back."""

    def __init__(self) -> None:
        self._patched: dict[str, ModuleType] = {}
        self._hooks = [ImportHook(module, self._apply) for module in MODULES]

    def _apply(self, module: ModuleType) -> None:
        original = getattr(module, NAME, None)
        if not callable(original) or hasattr(original, "__scopetel_original__"):
            return
        setattr(module, NAME, _wrapped(original))
        self._patched[module.__name__] = module

    def enable(self) -> None:
        for hook in self._hooks:
            hook.enable()

    def disable(self) -> None:
        for hook in self._hooks:
            hook.disable()
        for module in self._patched.values():
            wrapper = getattr(module, NAME, None)
            original = getattr(wrapper, "__scopetel_original__", None)
            if original is not None:
                setattr(module, NAME, original)
        self._patched.clear()
