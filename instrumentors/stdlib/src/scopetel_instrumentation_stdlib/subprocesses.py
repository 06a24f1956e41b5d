"""Child processes as sentry_sdk's stdlib integration reports them: breadcrumbs and spans.

Usage
-----

``StdlibIntegration`` (a default integration of ``scopetel.init()``) enables it; by
hand::

    from scopetel_instrumentation_stdlib.subprocesses import SubprocessInstrumentor

    SubprocessInstrumentor().instrument()

What it does
------------

- ``subprocess.Popen(...)`` (and so ``run``, ``call``, ``check_output`` …) leaves a
  ``subprocess`` breadcrumb with the command line. Inside a span it also records a
  ``subprocess`` span (description: the command line, tag ``subprocess.pid``, data
  ``subprocess.cwd``), and the child's environment gets the trace headers as
  ``SUBPROCESS_SENTRY_TRACE`` and ``SUBPROCESS_BAGGAGE`` (a copy: the caller's ``env``
  mapping and ``os.environ`` are left alone).
- ``Popen.wait`` and ``Popen.communicate`` inside a span record ``subprocess.wait`` /
  ``subprocess.communicate`` spans tagged with the pid.

Outside any span no span is started (scopetel would make a transaction of it, where
sentry_sdk records a span it never sends). Suppressed instrumentation is respected.
"""

import functools
import os
import subprocess
from collections.abc import Callable, Collection
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

import scopetel
from scopetel.instrumentation import report_internal_error
from scopetel_instrumentation_stdlib._patches import Patches

ORIGIN: Final = "auto.subprocess.stdlib.subprocess"
_MAX_ARGS: Final = 100  # a longer argument list is described by its repr
_ARGS, _CWD, _ENV = 0, 9, 10  # positions in Popen.__init__'s signature (after self)


class SubprocessInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Breadcrumbs and spans for ``subprocess.Popen`` and its ``wait``/``communicate``."""

    _patches: Patches

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        patches = Patches()
        patches.replace(subprocess.Popen, "__init__", _wrap_init)
        patches.replace(subprocess.Popen, "wait", functools.partial(_wrap_call, "wait"))
        patches.replace(
            subprocess.Popen, "communicate", functools.partial(_wrap_call, "communicate")
        )
        self._patches = patches

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patches.restore()


def _argument(args: list[Any], kwargs: dict[str, Any], name: str, position: int) -> Any:
    if position < len(args):
        return args[position]
    return kwargs.get(name)


def _set_argument(
    args: list[Any], kwargs: dict[str, Any], name: str, position: int, value: Any
) -> None:
    if position < len(args):
        args[position] = value
    else:
        kwargs[name] = value


def command_line(command: object) -> str:
    """The command as sentry_sdk describes it: its arguments joined by spaces."""
    if isinstance(command, (list, tuple)) and len(command) < _MAX_ARGS:
        return " ".join(map(str, command))
    return command if isinstance(command, str) else repr(command)


def _with_trace_headers(args: list[Any], kwargs: dict[str, Any]) -> None:
    """Give the child the trace headers in its environment (a copy of the one it gets)."""
    headers = {"SUBPROCESS_SENTRY_TRACE": scopetel.get_traceparent()}
    headers["SUBPROCESS_BAGGAGE"] = scopetel.get_baggage()
    present = {name: value for name, value in headers.items() if value}
    if present:
        env = _argument(args, kwargs, "env", _ENV)
        merged = dict(os.environ if env is None else env)
        merged.update(present)
        _set_argument(args, kwargs, "env", _ENV, merged)


def _wrap_init(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
        if not is_instrumentation_enabled():
            return original(self, *args, **kwargs)
        span = None
        arguments, keywords = list(args), dict(kwargs)
        try:
            description = command_line(_argument(arguments, keywords, "args", _ARGS))
            cwd = _argument(arguments, keywords, "cwd", _CWD)
            data = {"subprocess.cwd": os.fspath(cwd)} if cwd else {}
            scopetel.add_breadcrumb(
                type="subprocess", category="subprocess", message=description, data=data
            )
            if scopetel.get_current_span() is not None:
                span = scopetel.start_span(op="subprocess", name=description, origin=ORIGIN)
                span.__enter__()
                for key, value in data.items():
                    span.set_data(key, value)
                _with_trace_headers(arguments, keywords)
        except Exception:
            report_internal_error("Popen.__init__")
            arguments, keywords = list(args), dict(kwargs)
        if span is None:
            return original(self, *arguments, **keywords)
        try:
            original(self, *arguments, **keywords)
        except BaseException as error:
            span.__exit__(type(error), error, error.__traceback__)
            raise
        span.set_tag("subprocess.pid", self.pid)
        span.__exit__(None, None, None)
        return None

    return __init__


def _wrap_call(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """``wait``/``communicate`` in a ``subprocess.<name>`` span when a span is active."""

    @functools.wraps(original)
    def call(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> Any:
        if not is_instrumentation_enabled() or scopetel.get_current_span() is None:
            return original(self, *args, **kwargs)
        with scopetel.start_span(op=f"subprocess.{name}", origin=ORIGIN) as span:
            span.set_tag("subprocess.pid", self.pid)
            return original(self, *args, **kwargs)

    return call
