"""Sentry breadcrumbs and error events from ``logging.LogRecord`` objects.

Pure functions: which records are captured is decided in ``logs``.
"""

import logging
import sys
from types import FrameType
from typing import Any, Final

from scopetel.instrumentation import (
    MAX_VALUE_LENGTH,
    FrameOptions,
    JSONValue,
    exceptions_from_error,
    frames_from_stack,
    safe_str,
    to_json_safe,
)
from scopetel_instrumentation_stdlib.log_correlation import KEYS

# Attributes every LogRecord has; any other attribute came from ``extra=``.
_STANDARD: Final = frozenset(
    [*vars(logging.makeLogRecord({})), "message", "asctime", "taskName", *KEYS]
)


def sentry_level(levelno: int) -> str:
    if levelno >= logging.CRITICAL:
        return "fatal"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def formatted_message(record: logging.LogRecord) -> str:
    """``record.getMessage()``; the bare template when the arguments do not fit it."""
    try:
        text = record.getMessage()
    except Exception:
        text = safe_str(record.msg, MAX_VALUE_LENGTH)
    if isinstance(text, str) and len(text) <= MAX_VALUE_LENGTH and text.isascii():
        return text  # the common case, and nothing for safe_str to escape or cut
    return safe_str(text, MAX_VALUE_LENGTH)


def extra_of(record: logging.LogRecord) -> dict[str, Any]:
    """The attributes that came from ``extra=``."""
    values = vars(record)
    return {key: values[key] for key in values.keys() - _STANDARD if not key.startswith("_")}


def breadcrumb(record: logging.LogRecord, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The breadcrumb of ``record``; ``extra``: its :func:`extra_of`, when known."""
    crumb: dict[str, Any] = {
        "type": "log",
        "category": record.name,
        "level": sentry_level(record.levelno),
        "message": formatted_message(record),
        "timestamp": record.created,
    }
    if extra is None:
        extra = extra_of(record)
    if extra:
        crumb["data"] = to_json_safe(extra)
    return crumb


def exception_of(record: logging.LogRecord) -> BaseException | None:
    exc_info = record.exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        error = exc_info[1]
        if isinstance(error, BaseException):
            return error
    return None


def log_entry(record: logging.LogRecord) -> dict[str, JSONValue]:
    """Sentry's ``logentry``: the template, its arguments and the formatted message."""
    template = record.msg if isinstance(record.msg, str) else safe_str(record.msg)
    entry: dict[str, JSONValue] = {
        "message": safe_str(template, MAX_VALUE_LENGTH),
        "formatted": formatted_message(record),
    }
    args = record.args  # sent also when there are none ([]), as sentry_sdk sends them
    entry["params"] = (
        to_json_safe(dict(args) if isinstance(args, dict) else list(args)) if args else []
    )
    return entry


def event(
    record: logging.LogRecord, options: FrameOptions, attach_stacktrace: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The error event (and its hint) for ``record``."""
    result: dict[str, Any] = {
        "level": sentry_level(record.levelno),
        "logger": record.name,
        "logentry": log_entry(record),
    }
    hint: dict[str, Any] = {"log_record": record}
    error = exception_of(record)
    if error is not None:
        values = exceptions_from_error(error, options, mechanism_type="logging", handled=True)
        result["exception"] = {"values": values}
        hint["exc_info"] = (type(error), error, error.__traceback__)
    elif record.stack_info or attach_stacktrace:
        frames = frames_from_stack(_caller(record), options)
        if frames:
            thread = {"stacktrace": {"frames": frames}, "current": True}
            result["threads"] = {"values": [thread]}
    result["extra"] = extra_of(record)  # present even when empty, as sentry_sdk sends it
    return result, hint


def _caller(record: logging.LogRecord) -> FrameType | None:
    """The frame that logged ``record`` (the live stack is still inside ``logging``)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == record.pathname and frame.f_lineno == record.lineno:
            return frame
        frame = frame.f_back
    return None
