"""Threads run in the Context of the code that started or submitted them.

Usage
-----

``scopetel.init()`` enables it (entry point ``scopetel_threading``); by hand::

    from scopetel_instrumentation_stdlib.threads import ThreadingInstrumentor

    ThreadingInstrumentor().instrument()

What it does
------------

- ``threading.Thread.start`` (and so ``Timer`` and every subclass, whatever its
  ``run``): the thread runs in a copy of the starter's Context.
- ``concurrent.futures.ThreadPoolExecutor.submit`` (and so ``map`` and
  ``loop.run_in_executor``): each job runs in a copy of the submitter's Context,
  captured at ``submit``; the pool thread's own Context plays no part.

In each copy, forks of the isolation and current scopes are current, so a job's tags
never leak to its submitter or to the next job of the same pool thread. Spans started
by the work are children of the span active where it was submitted.

Threads of thread pools, of OpenTelemetry and of scopetel itself start with an empty
Context, as without instrumentation: they outlive whatever started them.
"""

import contextvars
import functools
import threading
import weakref
from collections.abc import Callable, Collection
from concurrent import futures
from concurrent.futures import thread as futures_thread
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel.instrumentation import report_internal_error
from scopetel_instrumentation_stdlib._patches import Patches
from scopetel_instrumentation_stdlib._work_context import in_work_context, work_context

_CLEAN_START: Final = ("concurrent.futures", "opentelemetry", "scopetel", "asyncio")
_MISSING: Final = object()

# The Context each instrumented thread ran in, for the excepthook instrumentor.
_thread_contexts: weakref.WeakKeyDictionary[threading.Thread, contextvars.Context] = (
    weakref.WeakKeyDictionary()
)


def context_of(thread: threading.Thread | None) -> contextvars.Context | None:
    """The Context ``thread`` ran its work in, if this instrumentation started it."""
    if thread is None:
        return None
    try:
        return _thread_contexts.get(thread)
    except TypeError:
        return None


class ThreadingInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Propagates the Context (and forks scopes) into threads and thread-pool jobs."""

    _patches: Patches

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        patches = Patches()
        patches.replace(threading.Thread, "start", _wrap_start)
        patches.replace(futures.ThreadPoolExecutor, "submit", _wrap_submit)
        self._patches = patches

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patches.restore()


def _starts_clean(thread: threading.Thread) -> bool:
    """Whether ``thread`` is infrastructure that must not keep its starter's Context."""
    target = getattr(thread, "_target", None)
    if target is futures_thread._worker:
        return True
    code_owner = target if target is not None else type(thread).run
    module = getattr(code_owner, "__module__", None) or ""
    return isinstance(module, str) and module.startswith(_CLEAN_START)


def _bind_run(thread: threading.Thread) -> tuple[object] | None:
    """Make ``thread.run`` run in a work context; (its own former ``run`` entry,)."""
    if _starts_clean(thread):
        return None
    previous = vars(thread).get("run", _MISSING)
    ctx = work_context()
    thread.__dict__["run"] = functools.partial(ctx.run, thread.run)
    _thread_contexts[thread] = ctx
    return (previous,)


def _unbind_run(thread: threading.Thread, previous: object) -> None:
    _thread_contexts.pop(thread, None)
    if previous is _MISSING:
        thread.__dict__.pop("run", None)
    else:
        thread.__dict__["run"] = previous


def _wrap_start(original: Callable[[threading.Thread], None]) -> Callable[..., None]:
    @functools.wraps(original)
    def start(self: threading.Thread) -> None:
        bound = None
        try:
            bound = _bind_run(self)
        except Exception:
            report_internal_error("Thread.start")
        try:
            original(self)
        except BaseException:
            if bound is not None:
                _unbind_run(self, bound[0])  # e.g. started twice: leave it as it was
            raise

    return start


def _wrap_submit(original: Callable[..., futures.Future[Any]]) -> Callable[..., Any]:
    @functools.wraps(original)
    def submit(
        self: futures.ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> futures.Future[Any]:
        return original(self, in_work_context(fn), *args, **kwargs)

    return submit
