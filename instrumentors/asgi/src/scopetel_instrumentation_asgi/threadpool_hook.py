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

from opentelemetry.trace import Span

from scopetel.instrumentation import (
    ImportHook,
    current_request,
    profiler_id,
    update_active_thread,
)

# starlette.routing: a ``def`` route's endpoint; starlette.endpoints: an ``HTTPEndpoint``'s
# ``def`` method; fastapi.routing: the endpoint, then the response's validation (the
# first move wins: the endpoint's) and static-file lookups.
MODULES: Final = ("starlette.routing", "starlette.endpoints", "fastapi.routing")
NAME: Final = "run_in_threadpool"
T = TypeVar("T")


def _in_worker(function: Callable[..., T], root: Span | None) -> Callable[..., T]:
    def call(*args: Any, **kwargs: Any) -> T:
        update_active_thread(root)
        return function(*args, **kwargs)

    return call


def _wrapped(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def run_in_threadpool(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if profiler_id() is not None:  # only while profiling: else not even a frame more
            request = current_request()  # its root, even when a child span is current
            function = _in_worker(function, None if request is None else request.span)
        return await original(function, *args, **kwargs)

    return run_in_threadpool


class ThreadpoolHook:
    """Wraps ``run_in_threadpool`` in ``MODULES`` as they are imported; ``disable`` puts
    the originals back where the wrapper is still in place."""

    def __init__(self) -> None:
        self._patched: dict[str, tuple[ModuleType, Any, Any]] = {}  # (wrapper, original)
        self._hooks = [ImportHook(module, self._apply) for module in MODULES]

    def _apply(self, module: ModuleType) -> None:
        original = getattr(module, NAME, None)
        if not callable(original) or module.__name__ in self._patched:
            return
        wrapper = _wrapped(original)
        setattr(module, NAME, wrapper)
        self._patched[module.__name__] = (module, wrapper, original)

    def enable(self) -> None:
        for hook in self._hooks:
            hook.enable()

    def disable(self) -> None:
        for hook in self._hooks:
            hook.disable()
        for module, wrapper, original in self._patched.values():
            if getattr(module, NAME, None) is wrapper:  # else another wrapped ours: kept
                setattr(module, NAME, original)
        self._patched.clear()
