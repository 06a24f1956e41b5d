"""``logging`` records as OpenTelemetry log records, which scopetel makes Sentry logs.

With ``enable_logs`` on, a record at ``sentry_logs_level`` or above is emitted to the
global ``LoggerProvider`` (logger named after the record's logger), with the
attributes sentry_sdk's logs carry: ``sentry.origin`` (``auto.log.stdlib``), the
template and its parameters (``sentry.message.template``,
``sentry.message.parameter.<index or key>``), ``code.*``, ``thread.*``,
``process.*``, ``logger.name`` and the ``extra=`` values. The provider's Sentry
processor makes it a Sentry log; its exporters (``OTEL_LOGS_EXPORTER``) get it too.

If OpenTelemetry's own logging handler is on the root logger
(``opentelemetry-instrumentation-logging``, or the SDK's under
``OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED``), that handler already emits
every record: nothing is emitted here, so no record is sent twice.
"""

import logging
from typing import Any, Final

from opentelemetry._logs import Logger, SeverityNumber, get_logger, get_logger_provider

from scopetel.instrumentation import (
    VERSION,
    attribute_value,
    current_context,
    emit_log,
    get_client,
    parameter_value,
    severity_of_level,
)
from scopetel_instrumentation_stdlib._log_records import extra_of

ORIGIN: Final = "auto.log.stdlib"
MAX_LOGGERS: Final = 1_000  # OpenTelemetry loggers kept by name
_ignored_names: set[str] = {"urllib3.connectionpool", "urllib3.connection"}  # as sentry_sdk


def ignore_logger(name: str) -> None:
    """Never send records of the logger ``name`` (that exact name) as Sentry logs."""
    _ignored_names.add(name)


def unignore_logger(name: str) -> None:
    """Undo :func:`ignore_logger`."""
    _ignored_names.discard(name)


class LogBridge:
    """Emits records to OpenTelemetry's ``LoggerProvider``."""

    def __init__(self, level: int) -> None:
        self.level = level
        self._provider: object = None
        self._loggers: dict[str, Logger] = {}

    def handle(self, record: logging.LogRecord, extra: dict[str, Any] | None = None) -> None:
        """Emit ``record`` if it qualifies; ``extra``: its ``extra_of``, when known."""
        if record.levelno < self.level or record.name.strip() in _ignored_names:
            return
        client = get_client()
        if client is None or not client.options.enable_logs or _bridged_by_opentelemetry():
            return
        number, level = severity_of_level(record.levelno)
        emit_log(
            self._logger(record.name),
            int(record.created * 1e9),
            current_context(),
            SeverityNumber(number),
            level,
            _body(record),
            attributes(record, client.options.project_root, extra),
        )

    def _logger(self, name: str) -> Logger:
        provider = get_logger_provider()
        if provider is not self._provider:
            self._provider, self._loggers = provider, {}
        logger = self._loggers.get(name)
        if logger is None:
            logger = get_logger(name, VERSION, provider)
            if len(self._loggers) < MAX_LOGGERS:
                self._loggers[name] = logger
        return logger


def _body(record: logging.LogRecord) -> Any:
    try:
        return attribute_value(record.getMessage())
    except Exception:  # arguments that do not fit the template: the template
        return attribute_value(record.msg if isinstance(record.msg, str) else str(record.msg))


def attributes(
    record: logging.LogRecord, project_root: str | None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The attributes of the log of ``record`` (sentry_sdk's names)."""
    given = extra_of(record) if extra is None else extra
    result = {key: attribute_value(value) for key, value in given.items()}
    result["sentry.origin"] = ORIGIN
    args = record.args
    if args and isinstance(args, (tuple, dict)):
        pairs = args.items() if isinstance(args, dict) else enumerate(args)
        for key, value in pairs:
            result[f"sentry.message.parameter.{key}"] = parameter_value(value)
        if isinstance(record.msg, str):
            result["sentry.message.template"] = attribute_value(record.msg)
    if record.lineno:
        result["code.line.number"] = record.lineno
    path = record.pathname
    if path:
        if project_root and path.startswith(project_root):
            path = path[len(project_root) + 1 :]
        result["code.file.path"] = path
    if record.funcName:
        result["code.function.name"] = record.funcName
    if record.thread:
        result["thread.id"] = attribute_value(record.thread)
    if record.threadName:
        result["thread.name"] = record.threadName
    if record.process:
        result["process.pid"] = record.process
    if record.processName:
        result["process.executable.name"] = record.processName
    if record.name:
        result["logger.name"] = record.name
    return result


def _bridged_by_opentelemetry() -> bool:
    """Whether an OpenTelemetry logging handler is on the root logger."""
    for handler in logging.root.handlers:
        kind = type(handler)
        if kind.__name__ == "LoggingHandler" and kind.__module__.startswith("opentelemetry."):
            return True
    return False
