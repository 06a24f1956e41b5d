"""Trace ids on every ``LogRecord``: ``trace_id``, ``span_id``, ``trace_sampled``.

A format string can print them (``%(trace_id)s``), and so can any JSON formatter that
dumps the record's attributes. Inside a span they are the span's ids (32 and 16 hex
digits); outside any span, ``trace_id`` is the trace scopetel links span-less error
events of the current isolation scope to, ``span_id`` is 16 zeros and
``trace_sampled`` is False.

The attributes are set by a wrapper around the log record factory. ``Logger.makeRecord``
is wrapped too, so that ``extra={"trace_id": ...}`` keeps working (the caller's value
wins) instead of raising ``KeyError("Attempt to overwrite 'trace_id' in LogRecord")``.
"""

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

from opentelemetry import trace as otel_trace

from scopetel.instrumentation import current_context, report_internal_error, scope_trace_id
from scopetel_instrumentation_stdlib._patches import Hook, Patches

KEYS: Final = ("trace_id", "span_id", "trace_sampled")
_NO_SPAN: Final = "0" * 16

RecordFactory = Callable[..., logging.LogRecord]


Correlation = tuple[str, str, bool]
# The last answer and what it was for (a SpanContext, or the isolation scope's trace id):
# records come in runs from one span, and formatting the ids is most of the cost.
_last: tuple[object, Correlation] = (None, ("", _NO_SPAN, False))


def correlation() -> Correlation:
    """(trace_id, span_id, sampled) of the active span, or of the isolation scope."""
    global _last
    context = otel_trace.get_current_span(current_context()).get_span_context()
    valid = context.is_valid
    key: object = context if valid else scope_trace_id()
    last = _last
    if last[0] is key or last[0] == key:
        return last[1]
    if valid:
        trace_id, span_id, sampled = context.trace_id, context.span_id, context.trace_flags.sampled
        value = (format(trace_id, "032x"), format(span_id, "016x"), sampled)
    else:
        value = (format(key, "032x"), _NO_SPAN, False)
    _last = (key, value)
    return value


class LogCorrelation:
    """Installs the record factory wrapper and the ``makeRecord`` guard; removes them."""

    def __init__(self) -> None:
        self._hook = Hook(logging.getLogRecordFactory, logging.setLogRecordFactory)
        self._patches = Patches()

    def install(self) -> None:
        hook = self._hook

        def scopetel_record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record: logging.LogRecord = hook.previous(*args, **kwargs)
            if hook.active:
                try:
                    values = record.__dict__
                    values["trace_id"], values["span_id"], values["trace_sampled"] = correlation()
                except Exception:
                    report_internal_error("log record factory")
            return record

        hook.install(scopetel_record_factory)
        self._patches.replace(logging.Logger, "makeRecord", _wrap_make_record)

    def uninstall(self) -> None:
        self._patches.restore()
        self._hook.uninstall()


def _wrap_make_record(original: Callable[..., logging.LogRecord]) -> Callable[..., Any]:
    @functools.wraps(original)
    def makeRecord(
        self: logging.Logger,
        name: str,
        level: int,
        fn: str,
        lno: int,
        msg: object,
        args: Any,
        exc_info: Any,
        func: str | None = None,
        extra: Mapping[str, object] | None = None,
        sinfo: str | None = None,
    ) -> logging.LogRecord:
        own: dict[str, object] = {}
        if extra is not None and any(key in extra for key in KEYS):
            own = {key: extra[key] for key in KEYS if key in extra}
            extra = {key: value for key, value in extra.items() if key not in own}
        record = original(self, name, level, fn, lno, msg, args, exc_info, func, extra, sinfo)
        if own:
            record.__dict__.update(own)
        return record

    return makeRecord
