"""The settings of the standard-library instrumentors in one table.

Each can be given as a keyword to ``instrument()`` or by its environment variable (the
only way under ``opentelemetry-instrument``). Keywords override variables, which
override defaults. An invalid keyword raises ``TypeError``/``ValueError``; an invalid
variable logs one warning naming it and the default is used.
"""

import logging
import os
import signal
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

LOGGER: Final = logging.getLogger("scopetel")
OFF: Final = frozenset({"", "off", "none", "false", "0", "no"})
# keywords instrumentors take themselves, OpenTelemetry-style
PROVIDER_KWARGS: Final = frozenset({"tracer_provider", "meter_provider", "logger_provider"})

Parse = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Setting:
    instrumentor: str  # the entry point whose instrument() takes it
    name: str
    env: str
    default: Any
    parse: Parse
    doc: str


def level_or_off(name: str, value: Any) -> int | None:
    """A logging level: a number, a name (``"INFO"``), or off (``None``, ``"off"``)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in OFF):
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a logging level, not a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        level = logging.getLevelName(text.upper())
        if isinstance(level, int):
            return level
        raise ValueError(f"{name} must be a logging level name or number, got {value!r}")
    raise TypeError(f"{name} must be a logging level, not {type(value).__name__}")


def flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in OFF:
            return False
    raise ValueError(f"{name} must be true or false, got {value!r}")


def names(name: str, value: Any) -> tuple[str, ...]:
    """Logger names: a list, or one comma-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, (list, tuple, set, frozenset)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError(f"{name} must be a list of logger names")


def seconds(name: str, value: Any) -> float:
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number of seconds, got {value!r}") from None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not 0 < number < float("inf"):
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(number)


def seconds_or_off(name: str, value: Any) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in OFF):
        return None
    return seconds(name, value)


def signal_or_off(name: str, value: Any) -> signal.Signals | None:
    """A signal: a number, a name (``"SIGUSR1"`` or ``"USR1"``), or off."""
    if value is None or (isinstance(value, str) and value.strip().lower() in OFF):
        return None
    try:
        if isinstance(value, str) and not value.strip().isdigit():
            text = value.strip().upper()
            return signal.Signals[text if text.startswith("SIG") else "SIG" + text]
        if isinstance(value, bool):
            raise TypeError
        return signal.Signals(int(value))
    except (KeyError, ValueError, TypeError):
        raise ValueError(f"{name} must be a signal name or number, got {value!r}") from None


def port_or_off(name: str, value: Any) -> int | None:
    """A TCP port (1-65535), or off."""
    if value is None or (isinstance(value, str) and value.strip().lower() in OFF):
        return None
    try:
        if isinstance(value, bool):
            raise TypeError
        port = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a port number, got {value!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"{name} must be a port between 1 and 65535, got {value!r}")
    return port


TABLE: Final[tuple[Setting, ...]] = (
    Setting(
        "scopetel_logging",
        "level",
        "SCOPETEL_LOGGING_LEVEL",
        logging.INFO,
        level_or_off,
        "Log records at or above this level become breadcrumbs (off: none).",
    ),
    Setting(
        "scopetel_logging",
        "event_level",
        "SCOPETEL_LOGGING_EVENT_LEVEL",
        logging.ERROR,
        level_or_off,
        "Log records at or above this level become error events (off: none).",
    ),
    Setting(
        "scopetel_logging",
        "sentry_logs_level",
        "SCOPETEL_LOGGING_SENTRY_LOGS_LEVEL",
        logging.INFO,
        level_or_off,
        "With `enable_logs`, log records at or above this level become Sentry logs "
        "(OpenTelemetry log records, also for `OTEL_LOGS_EXPORTER`) (off: none).",
    ),
    Setting(
        "scopetel_logging",
        "ignore_loggers",
        "SCOPETEL_LOGGING_IGNORE",
        (),
        names,
        "Loggers (and their children) never captured, comma-separated.",
    ),
    Setting(
        "scopetel_logging",
        "log_correlation",
        "SCOPETEL_LOG_CORRELATION",
        True,
        flag,
        "Add trace_id, span_id and trace_sampled to every LogRecord.",
    ),
    Setting(
        "scopetel_asyncio",
        "loop_metrics",
        "SCOPETEL_ASYNCIO_LOOP_METRICS",
        True,
        flag,
        "Event-loop lag histogram and tasks-alive gauge.",
    ),
    Setting(
        "scopetel_asyncio",
        "lag_interval",
        "SCOPETEL_ASYNCIO_LAG_INTERVAL",
        0.5,
        seconds,
        "Seconds between two event-loop lag samples.",
    ),
    Setting(
        "scopetel_asyncio",
        "slow_callback_threshold",
        "SCOPETEL_ASYNCIO_SLOW_CALLBACK",
        None,
        seconds_or_off,
        "Count loop callbacks slower than this many seconds (off by default: it times "
        "every callback).",
    ),
    Setting(
        "scopetel_asyncio",
        "snapshot_signal",
        "SCOPETEL_ASYNCIO_SNAPSHOT_SIGNAL",
        None,
        signal_or_off,
        "On this signal (e.g. SIGUSR1), log a snapshot of the asyncio tasks.",
    ),
    Setting(
        "scopetel_asyncio",
        "snapshot_port",
        "SCOPETEL_ASYNCIO_SNAPSHOT_PORT",
        None,
        port_or_off,
        "Serve the asyncio task snapshot as JSON on 127.0.0.1 at this port (off by default).",
    ),
)

BY_NAME: Final = {setting.name: setting for setting in TABLE}


def resolve(
    kwargs: Mapping[str, Any], names: Iterable[str], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The values of ``names``: keywords over environment variables over defaults."""
    environ = os.environ if environ is None else environ
    wanted = tuple(names)
    unknown = set(kwargs) - set(wanted) - PROVIDER_KWARGS
    if unknown:
        raise TypeError(f"unexpected instrument() argument(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name in wanted:
        setting = BY_NAME[name]
        if name in kwargs:
            values[name] = setting.parse(name, kwargs[name])
        elif setting.env in environ:
            values[name] = _from_environment(setting, environ[setting.env])
        else:
            values[name] = setting.default
    return values


def _from_environment(setting: Setting, raw: str) -> Any:
    try:
        return setting.parse(setting.env, raw)
    except (TypeError, ValueError) as error:
        LOGGER.warning("scopetel: ignoring %s (%s); using %r", setting.env, error, setting.default)
        return setting.default


def markdown_table() -> str:
    """The settings table for the README."""
    rows = [
        "| instrumentor | keyword | variable | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for setting in TABLE:
        rows.append(
            f"| `{setting.instrumentor}` | `{setting.name}` | `{setting.env}` "
            f"| {_shown(setting)} | {setting.doc} |"
        )
    return "\n".join(rows)


def _shown(setting: Setting) -> str:
    if setting.default is None:
        return "off"
    if setting.parse is level_or_off:
        return f"`{logging.getLevelName(setting.default)}`"
    if setting.default == ():
        return "none"
    return f"`{setting.default!r}`"
