"""Uncaught exceptions become unhandled error events, sent before the process exits.

Usage
-----

``scopetel.init()`` enables it (entry point ``scopetel_excepthook``); by hand::

    from scopetel_instrumentation_stdlib.excepthook import ExcepthookInstrumentor

    ExcepthookInstrumentor().instrument()

What it does
------------

- ``sys.excepthook`` (an exception ends the main thread): an error event with
  ``mechanism {"type": "excepthook", "handled": false}``, then a flush bounded by the
  ``shutdown_timeout`` option, then the previous hook (which prints the traceback).
- ``threading.excepthook`` (an exception ends a ``Thread.run``): an error event with
  mechanism ``threading``, captured in the Context the thread ran in (its scopes'
  tags) when the threading instrumentation started it, then the previous hook.

``KeyboardInterrupt`` is not reported. Uninstrumenting puts the previous hooks back,
unless something installed its own hook after ours; ours then passes straight through.
"""

import sys
import threading
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Any, TypeGuard

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

import scopetel
from scopetel.instrumentation import capture_unhandled, get_client, report_internal_error
from scopetel_instrumentation_stdlib._patches import Hook
from scopetel_instrumentation_stdlib.threads import context_of

SysHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]
ThreadHook = Callable[[Any], Any]


class ExcepthookInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Reports exceptions that reach ``sys.excepthook`` or ``threading.excepthook``."""

    _hooks: tuple[Hook, Hook]

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        main = Hook(lambda: sys.excepthook, lambda hook: setattr(sys, "excepthook", hook))
        main.install(_sys_hook(main))
        thread = Hook(
            lambda: threading.excepthook, lambda hook: setattr(threading, "excepthook", hook)
        )
        thread.install(_thread_hook(thread))
        self._hooks = (main, thread)

    def _uninstrument(self, **kwargs: Any) -> None:
        for hook in self._hooks:
            hook.uninstall()


def _reportable(error: object) -> TypeGuard[BaseException]:
    """Errors, not the normal ways out (Ctrl-C, ``sys.exit()`` — in a thread too)."""
    return isinstance(error, BaseException) and not isinstance(
        error, KeyboardInterrupt | SystemExit | GeneratorExit
    )


def _sys_hook(hook: Hook) -> SysHook:
    def scopetel_excepthook(
        exc_type: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> Any:
        try:
            if hook.active and _reportable(error):
                capture_unhandled(error, "excepthook")
                client = get_client()
                if client is not None:
                    scopetel.flush(client.options.shutdown_timeout)
        except Exception:
            report_internal_error("sys.excepthook")
        return hook.previous(exc_type, error, tb)

    return scopetel_excepthook


def _thread_hook(hook: Hook) -> ThreadHook:
    def scopetel_threading_excepthook(args: Any) -> Any:
        try:
            error = getattr(args, "exc_value", None)
            if hook.active and _reportable(error):
                thread = getattr(args, "thread", None)
                contexts = {"thread": {"name": str(getattr(thread, "name", ""))}}
                capture_unhandled(error, "threading", contexts=contexts, run_in=context_of(thread))
        except Exception:
            report_internal_error("threading.excepthook")
        return hook.previous(args)

    return scopetel_threading_excepthook
