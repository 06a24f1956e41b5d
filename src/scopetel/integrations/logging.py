"""``sentry_sdk.integrations.logging``: log records as breadcrumbs, error events and
Sentry logs.

``LoggingIntegration`` enables scopetel's ``scopetel_logging`` instrumentor (in
``scopetel-instrumentation-stdlib``).
"""

import importlib
import logging
from types import ModuleType
from typing import Any, Final

from scopetel.integrations._instrumentor_integration import InstrumentorIntegration

DEFAULT_LEVEL: Final = logging.INFO
DEFAULT_EVENT_LEVEL: Final = logging.ERROR
_LOGS: Final = "scopetel_instrumentation_stdlib.logs"
_UNSET: Final = object()
# sentry_sdk never captures these (its transport's library); neither does this integration
_IGNORED_BY_DEFAULT: Final = ("sentry_sdk.errors", "urllib3.connectionpool", "urllib3.connection")


def ignore_logger(name: str) -> None:
    """Never turn records of the logger ``name`` (that exact name) into breadcrumbs or
    events; works before and after ``init()``."""
    logs = _logs()
    if logs is not None:
        logs.ignore_logger(name)


def unignore_logger(name: str) -> None:
    """Undo :func:`ignore_logger`."""
    logs = _logs()
    if logs is not None:
        logs.unignore_logger(name)


def ignore_logger_for_sentry_logs(name: str) -> None:
    """Never send records of the logger ``name`` (that exact name) as Sentry logs."""
    logs = _logs()
    if logs is not None:
        logs.ignore_logger_for_sentry_logs(name)


def unignore_logger_for_sentry_logs(name: str) -> None:
    """Undo :func:`ignore_logger_for_sentry_logs`."""
    logs = _logs()
    if logs is not None:
        logs.unignore_logger_for_sentry_logs(name)


def _logs() -> ModuleType | None:
    try:
        return importlib.import_module(_LOGS)
    except ImportError:
        return None  # no instrumentor: nothing is captured from logging anyway


class LoggingIntegration(InstrumentorIntegration):
    """Records at ``level`` and above become breadcrumbs, at ``event_level`` and above
    error events, and, with ``enable_logs``, at ``sentry_logs_level`` and above Sentry
    logs (``None``: off), through ``scopetel_logging``. ``capture_sentry_logs=False``
    turns Sentry logs from ``logging`` off; otherwise ``enable_logs`` decides.
    """

    identifier = "logging"
    instrumentors = ("scopetel_logging",)
    honoured = {
        "level": DEFAULT_LEVEL,
        "event_level": DEFAULT_EVENT_LEVEL,
        "sentry_logs_level": DEFAULT_LEVEL,
    }

    def __init__(
        self,
        level: int | None = DEFAULT_LEVEL,
        event_level: int | None = DEFAULT_EVENT_LEVEL,
        sentry_logs_level: int | None = DEFAULT_LEVEL,
        capture_sentry_logs: Any = _UNSET,
    ) -> None:
        self.level = level
        self.event_level = event_level
        self.sentry_logs_level = None if capture_sentry_logs is False else sentry_logs_level
        self.capture_sentry_logs = capture_sentry_logs

    @staticmethod
    def setup_once() -> None:
        for name in _IGNORED_BY_DEFAULT:
            ignore_logger(name)
