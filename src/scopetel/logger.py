"""Structured logs (``sentry_sdk.logger``): ``trace``, ``debug``, ``info``, ``warning``,
``error``, ``fatal``.

::

    scopetel.init(dsn=..., enable_logs=True)
    scopetel.logger.info("Order {order_id} paid", order_id="or_42", attributes={"shop": "eu"})

The template is formatted with the parameters (``str.format``: ``{name}`` for keyword
and ``{}``/``{0}`` for positional ones; a placeholder with no parameter stays as it
is) and sent with ``sentry.message.template`` and ``sentry.message.parameter.<name>``
attributes. Each call emits one OpenTelemetry log record (instrumentation scope
``scopetel.logger``) with the active span's ids: the ``LoggerProvider``'s Sentry
processor makes it a Sentry log, its exporters (``OTEL_LOGS_EXPORTER``) get the same
record. Nothing is emitted unless ``enable_logs`` is on. Never raises.
"""

import string
import time
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry._logs import Logger, SeverityNumber

from scopetel._client import get_client
from scopetel._context import entries
from scopetel._internal_errors import guarded
from scopetel._signals.attributes import Plain, attribute_value, attribute_values, text_value
from scopetel._signals.log_emit import emit_log
from scopetel._signals.log_entries import SEVERITY_NUMBERS
from scopetel._signals.log_processor import installed_provider
from scopetel._version import VERSION

__all__ = ["debug", "error", "fatal", "info", "trace", "warning"]

SCOPE_NAME: Final = "scopetel.logger"
_PARAMETER: Final = "sentry.message.parameter."
_SEVERITIES: Final = {text: SeverityNumber(n) for text, n in SEVERITY_NUMBERS.items()}
_cache: list[Any] = [None, None]  # (provider, its logger)


class _KeepMissing(dict[str, Any]):
    """Formats ``{name}`` with no parameter as itself (as sentry_sdk does)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _Formatter(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, int):
            return args[key] if key < len(args) else "{" + str(key) + "}"
        return kwargs[key]


def _otel_logger() -> Logger | None:
    provider = installed_provider()
    if provider is None:
        return None
    if _cache[0] is not provider:
        _cache[1] = provider.get_logger(SCOPE_NAME, VERSION)
        _cache[0] = provider
    logger: Logger = _cache[1]
    return logger


def _body(template: str, args: tuple[Any, ...], params: dict[str, Any]) -> str:
    try:
        if args:
            return text_value(_Formatter().vformat(template, args, _KeepMissing(params)))
        return text_value(template.format_map(_KeepMissing(params)))
    except Exception:  # a template str.format cannot read: sent as it is
        return template


def _log(level: str, template: object, args: tuple[Any, ...], params: dict[str, Any]) -> None:
    client = get_client()
    if client is None or not client.options.enable_logs:
        return
    logger = _otel_logger()
    if logger is None:
        return
    given = params.pop("attributes", None)
    attributes: dict[str, Plain] = attribute_values(given) if given else {}
    text = text_value(template)
    body = text
    if args or params:
        for index, value in enumerate(args):
            attributes[f"{_PARAMETER}{index}"] = attribute_value(value)
        for key, value in params.items():
            attributes[_PARAMETER + key] = attribute_value(value)
        attributes["sentry.message.template"] = text
        body = _body(text, args, params)
    emit_log(logger, time.time_ns(), entries.current(), _SEVERITIES[level], level, body, attributes)


@guarded(None)
def trace(template: str, *args: Any, **params: Any) -> None:
    """A log at level ``trace`` (severity 1)."""
    _log("trace", template, args, params)


@guarded(None)
def debug(template: str, *args: Any, **params: Any) -> None:
    """A log at level ``debug`` (severity 5)."""
    _log("debug", template, args, params)


@guarded(None)
def info(template: str, *args: Any, **params: Any) -> None:
    """A log at level ``info`` (severity 9)."""
    _log("info", template, args, params)


@guarded(None)
def warning(template: str, *args: Any, **params: Any) -> None:
    """A log at level ``warn`` (severity 13)."""
    _log("warn", template, args, params)


@guarded(None)
def error(template: str, *args: Any, **params: Any) -> None:
    """A log at level ``error`` (severity 17)."""
    _log("error", template, args, params)


@guarded(None)
def fatal(template: str, *args: Any, **params: Any) -> None:
    """A log at level ``fatal`` (severity 21)."""
    _log("fatal", template, args, params)
