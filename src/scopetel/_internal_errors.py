"""One handler for scopetel's own bugs: log them, never raise them into the application.

Under scopetel's own tests (``SCOPETEL_RAISE_INTERNAL_ERRORS=1`` or
``raise_internal_errors(True)``) the error is re-raised instead, so bugs fail tests
rather than hide in a log.
"""

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from functools import wraps
from typing import Final, ParamSpec, TypeVar, cast

from scopetel._gc_phases import collecting, defer

LOGGER: Final = logging.getLogger("scopetel")

_P = ParamSpec("_P")
_R = TypeVar("_R")

_raise = os.environ.get("SCOPETEL_RAISE_INTERNAL_ERRORS", "") == "1"


def raise_internal_errors(enabled: bool) -> None:
    """Make internal errors propagate (for scopetel's own test suites)."""
    global _raise
    _raise = enabled


def report_internal_error(where: str) -> None:
    """Log the exception being handled as a scopetel bug; call inside ``except``."""
    try:
        if collecting():  # no context variable may be set now (``_gc_phases``)
            LOGGER.error("scopetel internal error in %s", where, exc_info=True)
        else:
            with suppressed():  # the logging instrumentation must not loop
                LOGGER.error("scopetel internal error in %s", where, exc_info=True)
    except Exception:
        pass
    if _raise:
        raise


@contextmanager
def guard(where: str) -> Iterator[None]:
    """Run a block whose exceptions are scopetel bugs, never the application's."""
    try:
        yield
    except Exception:
        report_internal_error(where)


def guarded(
    default: object, on_error: Callable[..., None] | None = None
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate an SDK entry point: on an internal error, log it and return ``default``.

    ``on_error`` is called with the call's arguments first, e.g. to count what the
    error lost (``internal_sdk_error`` in client reports).
    """

    def decorate(function: Callable[_P, _R]) -> Callable[_P, _R]:
        where = function.__qualname__

        @wraps(function)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return function(*args, **kwargs)
            except Exception:
                if on_error is not None:
                    with suppress(Exception):
                        on_error(*args, **kwargs)
                report_internal_error(where)
                return cast(_R, default)

        return wrapper

    return decorate


def suppressed() -> AbstractContextManager[None]:
    """OpenTelemetry's ``suppress_instrumentation()``: no spans, logs or events inside."""
    # Imported on use: OpenTelemetry loads propagators (and so this module) while
    # opentelemetry.instrumentation.utils itself is still being imported.
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    return suppress_instrumentation()


def run_suppressed(deliver: Callable[[], None]) -> None:
    """Run ``deliver`` so that instrumented I/O in sinks makes no spans of its own.

    During a garbage collection (a span ended by a finalizer) it runs in a helper thread
    instead: suppressing sets a context variable, which is unsafe then (``_gc_phases``).
    """
    if collecting():
        defer(lambda: run_suppressed(deliver))
        return
    with suppressed():
        deliver()
