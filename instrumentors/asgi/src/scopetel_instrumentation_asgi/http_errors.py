"""Starlette (and FastAPI): ``HTTPException``\\ s with a failed status code are reported.

Starlette's ``ExceptionMiddleware`` turns an ``HTTPException`` into its response, so no
layer outside it sees the exception. Its handlers for ``HTTPException`` (Starlette's own,
or FastAPI's) are wrapped when the middleware is made: an exception whose status code is
one of ``failed_request_status_codes`` (default 500-599, as sentry_sdk) is reported
(mechanism ``starlette``, ``handled: true``, as sentry_sdk) before the handler answers.
Set them with ``AsgiInstrumentor().instrument(failed_request_status_codes={500, 503})``
or ``SCOPETEL_FAILED_REQUEST_STATUS_CODES=500-599`` (numbers and ranges, comma-separated).
"""

import functools
import inspect
import logging
import os
from collections.abc import Callable, Collection, Iterable
from types import ModuleType
from typing import Any, Final

from scopetel.instrumentation import (
    ImportHook,
    MethodPatch,
    capture_unhandled,
    guarded,
    report_internal_error,
)

LOGGER: Final = logging.getLogger("scopetel")
MODULE: Final = "starlette.middleware.exceptions"
VARIABLE: Final = "SCOPETEL_FAILED_REQUEST_STATUS_CODES"
DEFAULT_CODES: Final = frozenset(range(500, 600))
_MARK: Final = "_scopetel_reports"


class FailedCodes:
    """The status codes reported (set by ``instrument``)."""

    codes: frozenset[int] = DEFAULT_CODES


def parse_codes(text: str) -> frozenset[int]:
    """``"500-599"``, ``"500,502-504"`` → the codes; ValueError when malformed."""
    codes: set[int] = set()
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        low, _, high = part.partition("-")
        start, end = int(low), int(high or low)
        if not 100 <= start <= end <= 599:
            raise ValueError(f"not an HTTP status code range: {part!r}")
        codes.update(range(start, end + 1))
    return frozenset(codes)


def failed_codes(given: object) -> frozenset[int]:
    """The codes given to ``instrument``, else the variable's, else 500-599."""
    if given is not None:
        if not isinstance(given, Iterable) or isinstance(given, (str, bytes)):
            raise TypeError(f"failed_request_status_codes must be a set of ints, got {given!r}")
        return frozenset(int(code) for code in given)
    text = os.environ.get(VARIABLE)
    if text is None:
        return DEFAULT_CODES
    try:
        return parse_codes(text)
    except ValueError:
        LOGGER.warning("scopetel: %s=%r is not a list of codes; using 500-599", VARIABLE, text)
        return DEFAULT_CODES


@guarded(None)
def report(error: object) -> None:
    code = getattr(error, "status_code", None)
    if isinstance(code, int) and code in FailedCodes.codes and isinstance(error, Exception):
        capture_unhandled(error, "starlette", handled=True)


def reporting(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` that reports a failed ``HTTPException`` first (sync or async alike)."""
    if getattr(handler, _MARK, False):
        return handler
    if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 - a callable object's coroutine
    ):

        @functools.wraps(handler)
        async def report_then_answer(conn: Any, error: Any) -> Any:
            report(error)
            return await handler(conn, error)

        wrapped: Callable[..., Any] = report_then_answer
    else:

        @functools.wraps(handler)
        def report_then_answer_sync(conn: Any, error: Any) -> Any:
            report(error)
            return handler(conn, error)

        wrapped = report_then_answer_sync
    setattr(wrapped, _MARK, True)
    return wrapped


def _init(
    original: Callable[..., Any], middleware: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    result = original(*args, **kwargs)
    try:
        from starlette.exceptions import HTTPException

        handlers = middleware._exception_handlers
        for key, handler in list(handlers.items()):
            if isinstance(key, type) and issubclass(key, HTTPException):
                handlers[key] = reporting(handler)
    except Exception:
        report_internal_error("starlette ExceptionMiddleware handlers")
    return result


class HttpErrorsHook:
    """Patches ``ExceptionMiddleware.__init__`` once Starlette's module is imported."""

    def __init__(self) -> None:
        self._patch: MethodPatch | None = None
        self._hook = ImportHook(MODULE, self._apply)

    def _apply(self, module: ModuleType) -> None:
        if self._patch is None:
            self._patch = MethodPatch(module.ExceptionMiddleware, "__init__", _init)

    def enable(self, codes: Collection[int]) -> None:
        FailedCodes.codes = frozenset(codes)
        self._hook.enable()

    def disable(self) -> None:
        self._hook.disable()
        if self._patch is not None:
            self._patch.undo()
            self._patch = None
