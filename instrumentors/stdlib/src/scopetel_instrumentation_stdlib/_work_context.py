"""The Context a unit of work runs in: its submitter's, with forked scopes.

Work handed to another thread (``Thread.start``, ``ThreadPoolExecutor.submit``) runs in
a copy of the ``contextvars`` Context of the code that handed it over, so its spans are
children of the submitter's span. In that copy, forks of the isolation and current
scopes are current: tags the work sets stay with it, never reaching the submitter or
the next job run by the same pool thread. The forks are made at submission, in the
submitter's thread, so the work sees the scope data as it was at that moment.
"""

import contextlib
import contextvars
import functools
from collections.abc import Callable
from typing import Any

import scopetel
from scopetel.instrumentation import report_internal_error


def _enter_forks() -> None:
    # The copy is private to one unit of work and discarded with it: nothing to leave.
    scopetel.isolation_scope().__enter__()


def work_context() -> contextvars.Context:
    """A copy of the caller's Context in which forked scopes are current."""
    ctx = contextvars.copy_context()
    try:
        ctx.run(_enter_forks)
    except Exception:
        report_internal_error("work_context")
    return ctx


def context_runner(fn: object) -> contextvars.Context | None:
    """The Context ``fn`` already runs itself in, if it is ``ctx.run`` (maybe partial).

    ``asyncio.to_thread`` submits ``partial(ctx.run, func, ...)`` with a copy of its own.
    """
    target = fn.func if isinstance(fn, functools.partial) else fn
    owner = getattr(target, "__self__", None)
    if isinstance(owner, contextvars.Context) and getattr(target, "__name__", "") == "run":
        return owner
    return None


def in_work_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` made to run in a work context captured now."""
    try:
        own = context_runner(fn)
        if own is None:
            return functools.partial(work_context().run, fn)
        # Fork inside the copy the caller made; if that Context is running somewhere
        # right now (RuntimeError), leave it alone.
        with contextlib.suppress(RuntimeError):
            own.run(_enter_forks)
        return fn
    except Exception:
        report_internal_error("in_work_context")
        return fn
