"""Log records become breadcrumbs and error events, and carry trace ids.

Usage
-----

``scopetel.init()`` enables it with the defaults (entry point ``scopetel_logging``);
to choose the levels, disable it there and instrument by hand::

    import logging
import threading
    from scopetel_instrumentation_stdlib.logs import LoggingInstrumentor

    scopetel.init(dsn=..., disabled_integrations=["logging"])
    LoggingInstrumentor().instrument(level=logging.INFO, event_level=logging.ERROR)

or set ``SCOPETEL_LOGGING_LEVEL`` / ``SCOPETEL_LOGGING_EVENT_LEVEL`` /
``SCOPETEL_LOGGING_SENTRY_LOGS_LEVEL`` (a level name, a number, or ``off``).

What it does
------------

- Records at ``level`` (INFO) and above become breadcrumbs (type ``log``, category the
  logger name, ``extra=`` attributes as data).
- Records at ``event_level`` (ERROR) and above become error events: ``logentry``
  (template, arguments, formatted message), ``logger``, ``extra=`` attributes, and
  the exception with its stack when the record has ``exc_info`` (mechanism
  ``logging``, handled); linked to the active span like any captured event.
  A record whose exception was already reported as unhandled (asyncio's default
  exception handler logs what it was given) gives no second event.
- Loggers named ``scopetel*`` and ``opentelemetry*`` (and ``ignore_loggers``) are
  never captured, nor is anything logged while an event is being captured or under
  OpenTelemetry's ``suppress_instrumentation``: no loops. :func:`ignore_logger` adds
  a name to a process-wide list, as sentry_sdk's does (that exact name, whether the
  instrumentor is active yet or not).
- Records at ``sentry_logs_level`` (INFO) and above become Sentry logs when
  ``enable_logs`` is on, through OpenTelemetry's ``LoggerProvider`` (see
  ``log_bridge``); :func:`ignore_logger_for_sentry_logs` keeps a logger out of them.
- ``log_correlation`` (on): every record carries ``trace_id``, ``span_id`` and
  ``trace_sampled`` (see ``log_correlation``).

Records are taken in ``Logger.callHandlers``, so they are captured whatever handlers
are configured, as long as the logger's level lets them through.
"""

import functools
import logging
import threading
from collections.abc import Callable, Collection
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from scopetel import capture_event
from scopetel.instrumentation import (
    add_known_breadcrumb,
    get_client,
    report_internal_error,
    was_captured,
)
from scopetel_instrumentation_stdlib import _log_records, log_bridge
from scopetel_instrumentation_stdlib._patches import Patches
from scopetel_instrumentation_stdlib._settings import resolve
from scopetel_instrumentation_stdlib.log_bridge import LogBridge
from scopetel_instrumentation_stdlib.log_correlation import LogCorrelation

ALWAYS_IGNORED: Final = ("scopetel", "opentelemetry")  # prefixes: no loops, ever
SETTINGS: Final = (
    "level",
    "event_level",
    "sentry_logs_level",
    "ignore_loggers",
    "log_correlation",
)

# A thread-local, not a ContextVar: records are also written by finalizers during a
# garbage collection, when setting a context variable can crash CPython < 3.12
# (python/cpython#148891); the flag is set and cleared within one synchronous call.
_capturing: Final = threading.local()
_ignored_names: set[str] = set()


def ignore_logger(name: str) -> None:
    """Never capture records of the logger ``name`` (exactly this name, as sentry_sdk's
    ``ignore_logger``); process-wide, whether or not the instrumentor is active yet."""
    _ignored_names.add(name)


def unignore_logger(name: str) -> None:
    """Undo :func:`ignore_logger`."""
    _ignored_names.discard(name)


ignore_logger_for_sentry_logs = log_bridge.ignore_logger
unignore_logger_for_sentry_logs = log_bridge.unignore_logger


class RecordCapture:
    """Decides which records are captured, and captures them."""

    def __init__(
        self,
        level: int | None,
        event_level: int | None,
        ignored: tuple[str, ...],
        sentry_logs_level: int | None = None,
    ):
        self.level = level
        self.event_level = event_level
        self.ignored = ignored
        self.bridge = None if sentry_logs_level is None else LogBridge(sentry_logs_level)
        levels = (level, event_level, sentry_logs_level)
        enabled = [value for value in levels if value is not None]
        self.lowest = min(enabled) if enabled else None

    def ignores(self, name: str) -> bool:
        if name.startswith(ALWAYS_IGNORED) or name.strip() in _ignored_names:
            return True
        return self._ignored_by_config(name)

    def _ignored_by_config(self, name: str) -> bool:
        return any(name == ignored or name.startswith(ignored + ".") for ignored in self.ignored)

    def handle(self, record: logging.LogRecord) -> None:
        """Capture ``record`` if it qualifies; never raises."""
        lowest = self.lowest
        if lowest is None or record.levelno < lowest or getattr(_capturing, "on", False):
            return
        _capturing.on = True
        try:
            if record.name.startswith(ALWAYS_IGNORED) or not is_instrumentation_enabled():
                return
            extra = _log_records.extra_of(record)  # read once for the log and the crumb
            if self.bridge is not None and not self._ignored_by_config(record.name):
                self.bridge.handle(record, extra)  # Sentry logs: sentry_sdk's own ignore list
            if self.ignores(record.name):
                return
            if self.event_level is not None and record.levelno >= self.event_level:
                self._capture_event(record)
            if self.level is not None and record.levelno >= self.level:
                crumb = _log_records.breadcrumb(record, extra)
                add_known_breadcrumb(crumb, {"log_record": record})
        except Exception:
            report_internal_error("logging capture")
        finally:
            _capturing.on = False

    def _capture_event(self, record: logging.LogRecord) -> None:
        client = get_client()
        if client is None or not client.sending:
            return
        if was_captured(_log_records.exception_of(record)):
            return
        attach = client.options.attach_stacktrace
        event, hint = _log_records.event(record, client.frame_options, attach)
        capture_event(event, hint)


class LoggingInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Breadcrumbs and error events from ``logging``; trace ids on every record."""

    _patches: Patches
    _correlation: LogCorrelation | None

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        values = resolve(kwargs, SETTINGS)
        capture = RecordCapture(
            values["level"],
            values["event_level"],
            values["ignore_loggers"],
            values["sentry_logs_level"],
        )
        self._patches = Patches()
        if capture.lowest is not None:
            self._patches.replace(logging.Logger, "callHandlers", _wrap_call_handlers(capture))
        self._correlation = None
        if values["log_correlation"]:
            self._correlation = LogCorrelation()
            self._correlation.install()

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patches.restore()
        if self._correlation is not None:
            self._correlation.uninstall()
            self._correlation = None


def _wrap_call_handlers(capture: RecordCapture) -> Callable[[Any], Callable[..., None]]:
    def wrap(original: Callable[[logging.Logger, logging.LogRecord], None]) -> Callable[..., None]:
        @functools.wraps(original)
        def callHandlers(self: logging.Logger, record: logging.LogRecord) -> None:
            capture.handle(record)
            original(self, record)

        return callHandlers

    return wrap
