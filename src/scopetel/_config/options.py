"""Every option of ``scopetel.init()`` in one table: check, default, variable, meaning.

Keyword arguments override environment variables, which override defaults. Explicit
keywords that are unknown or ill-typed raise ``TypeError``/``ValueError``; a bad
environment value logs one line naming the variable and the fallback, and the
default is used (the application must start whatever its environment says).
"""

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from scopetel._config import checks as checks

LOGGER: Final = logging.getLogger("scopetel")


@dataclass(frozen=True)
class Option:
    """One row of the table."""

    name: str
    default: Any
    check: checks.Check
    doc: str
    env: str | None = None


TABLE: Final[tuple[Option, ...]] = (
    Option(
        "dsn", None, checks.dsn, "Where to send Sentry events; unset: send nothing.", "SENTRY_DSN"
    ),
    Option("release", None, checks.str_or_none, "Release of the application.", "SENTRY_RELEASE"),
    Option("environment", None, checks.str_or_none, "Environment name.", "SENTRY_ENVIRONMENT"),
    Option("server_name", None, checks.str_or_none, "Host name in events.", "SENTRY_SERVER_NAME"),
    Option("dist", None, checks.str_or_none, "Distribution of the release.", "SENTRY_DIST"),
    Option("sample_rate", 1.0, checks.rate, "Share of error events sent.", "SENTRY_SAMPLE_RATE"),
    Option(
        "traces_sample_rate",
        None,
        checks.rate_or_none,
        "Share of new traces sampled; unset: no tracing unless traces_sampler "
        "(under opentelemetry-instrument: 1.0).",
        "SENTRY_TRACES_SAMPLE_RATE",
    ),
    Option("traces_sampler", None, checks.callable_or_none, "Callable deciding per root span."),
    Option("before_send", None, checks.callable_or_none, "Hook to edit or drop error events."),
    Option("before_send_transaction", None, checks.callable_or_none, "Hook for transactions."),
    Option("before_breadcrumb", None, checks.callable_or_none, "Hook to edit or drop breadcrumbs."),
    Option(
        "max_breadcrumbs", 100, checks.count(0, 1000), "Breadcrumbs kept.", "SENTRY_MAX_BREADCRUMBS"
    ),
    Option(
        "send_default_pii",
        False,
        checks.boolean,
        "Send personal data (cookies, IPs, users).",
        "SENTRY_SEND_DEFAULT_PII",
    ),
    Option(
        "ignore_errors",
        (),
        checks.error_types,
        "Exception classes or names never reported (variable: comma-separated names).",
        "SENTRY_IGNORE_ERRORS",
    ),
    Option(
        "in_app_include",
        (),
        checks.strings,
        "Module prefixes that are application code.",
        "SENTRY_IN_APP_INCLUDE",
    ),
    Option(
        "in_app_exclude",
        (),
        checks.strings,
        "Module prefixes that are not application code.",
        "SENTRY_IN_APP_EXCLUDE",
    ),
    Option(
        "include_local_variables",
        True,
        checks.boolean,
        "Send local variables of frames.",
        "SENTRY_INCLUDE_LOCAL_VARIABLES",
    ),
    Option(
        "include_source_context",
        True,
        checks.boolean,
        "Send source lines around frames.",
        "SENTRY_INCLUDE_SOURCE_CONTEXT",
    ),
    Option(
        "attach_stacktrace",
        False,
        checks.boolean,
        "Add a stack to messages.",
        "SENTRY_ATTACH_STACKTRACE",
    ),
    Option(
        "max_value_length",
        1024,
        checks.count(16, 1_000_000),
        "Longest string value sent.",
        "SENTRY_MAX_VALUE_LENGTH",
    ),
    Option(
        "project_root",
        None,
        checks.str_or_none,
        "Root of the application's source tree.",
        "SENTRY_PROJECT_ROOT",
    ),
    Option(
        "debug", False, checks.boolean, "Log what scopetel does at DEBUG level.", "SENTRY_DEBUG"
    ),
    Option(
        "shutdown_timeout",
        2.0,
        checks.positive,
        "Seconds to flush at exit.",
        "SENTRY_SHUTDOWN_TIMEOUT",
    ),
    Option("transport", None, checks.transport, "Object with capture_envelope(envelope)."),
    Option(
        "transport_queue_size",
        1000,
        checks.count(1, 1_000_000),
        "Envelopes waiting to be sent; more are dropped and reported (queue_overflow).",
        "SENTRY_TRANSPORT_QUEUE_SIZE",
    ),
    Option(
        "max_spans",
        1000,
        checks.count(1, 100_000),
        "Spans per transaction; more are counted as dropped.",
        "SENTRY_MAX_SPANS",
    ),
    Option(
        "trace_lifecycle",
        "static",
        checks.choice("static", "stream"),
        "static: spans in transactions; stream: spans sent one by one.",
        "SENTRY_TRACE_LIFECYCLE",
    ),
    Option(
        "default_integrations",
        True,
        checks.boolean,
        "Instrument every installed scopetel instrumentor (init() and opentelemetry-instrument).",
        "SENTRY_DEFAULT_INTEGRATIONS",
    ),
    Option(
        "disabled_integrations",
        (),
        checks.strings,
        "Instrumentors not to enable (also OTEL_PYTHON_DISABLED_INSTRUMENTATIONS).",
        "SENTRY_DISABLED_INTEGRATIONS",
    ),
    Option(
        "late_children_timeout",
        10.0,
        checks.positive,
        "Seconds a transaction waits for children still open when its root ends.",
        "SENTRY_LATE_CHILDREN_TIMEOUT",
    ),
)

_BY_NAME: Final = {option.name: option for option in TABLE}


@dataclass(frozen=True)
class Options:
    """Resolved options; field names equal the table's (a test pins that)."""

    dsn: str | None = None
    release: str | None = None
    environment: str | None = None
    server_name: str | None = None
    dist: str | None = None
    sample_rate: float = 1.0
    traces_sample_rate: float | None = None
    traces_sampler: Callable[..., Any] | None = None
    before_send: Callable[..., Any] | None = None
    before_send_transaction: Callable[..., Any] | None = None
    before_breadcrumb: Callable[..., Any] | None = None
    max_breadcrumbs: int = 100
    send_default_pii: bool = False
    ignore_errors: tuple[type[BaseException] | str, ...] = ()
    in_app_include: tuple[str, ...] = ()
    in_app_exclude: tuple[str, ...] = ()
    include_local_variables: bool = True
    include_source_context: bool = True
    attach_stacktrace: bool = False
    max_value_length: int = 1024
    project_root: str | None = None
    debug: bool = False
    shutdown_timeout: float = 2.0
    transport: Any = None
    transport_queue_size: int = 1000
    max_spans: int = 1000
    trace_lifecycle: str = "static"
    default_integrations: bool = True
    disabled_integrations: tuple[str, ...] = ()
    late_children_timeout: float = 10.0

    @property
    def tracing_enabled(self) -> bool:
        return self.traces_sample_rate is not None or self.traces_sampler is not None


AUTO_INSTRUMENT_DEFAULTS: Final[Mapping[str, Any]] = {"traces_sample_rate": 1.0}
"""Defaults that differ under ``opentelemetry-instrument``: launching an application with
it asks for tracing, and OpenTelemetry's own default sampler samples everything."""


def resolve(
    kwargs: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    *,
    dsn: Any = None,
    defaults: Mapping[str, Any] | None = None,
) -> Options:
    """Options from ``init()`` keywords over the environment over the defaults.

    ``defaults`` replaces table defaults (already valid values), e.g.
    ``AUTO_INSTRUMENT_DEFAULTS``; a bad variable falls back to them too.
    """
    environ = os.environ if environ is None else environ
    defaults = defaults or {}
    values: dict[str, Any] = dict(defaults)
    if dsn is not None:
        if "dsn" in kwargs:
            raise TypeError("init() got the dsn both positionally and as a keyword")
        kwargs = {**kwargs, "dsn": dsn}
    for name, value in kwargs.items():
        option = _BY_NAME.get(name)
        if option is None:
            raise TypeError(f"init() got an unexpected keyword argument {name!r}")
        values[name] = option.check(name, value)
    for option in TABLE:
        if option.name in kwargs or option.env is None or option.env not in environ:
            continue
        if not environ[option.env].strip():
            continue  # VAR= (as compose files write an unset one) means unset
        fallback = defaults.get(option.name, option.default)
        values[option.name] = from_environment(option, environ[option.env], fallback)
    return Options(**values)


_auto_options: Options | None = None


def auto_options() -> Options:
    """The process environment's options under ``opentelemetry-instrument``.

    Resolved once per process, so the distro, the configurator and the entry points
    agree and a bad variable is reported once.
    """
    global _auto_options
    if _auto_options is None:
        _auto_options = resolve({}, os.environ, defaults=AUTO_INSTRUMENT_DEFAULTS)
    return _auto_options


def forget_auto_options() -> None:
    """Resolve the environment again next time (for tests)."""
    global _auto_options
    _auto_options = None


_TABLE_DEFAULT: Final = object()


def from_environment(
    option: Option, raw: str, fallback: Any = _TABLE_DEFAULT, variable: str | None = None
) -> Any:
    """Parse one variable (``variable``, default: the option's); on a bad value log
    one line and use ``fallback`` (default: the table's default)."""
    fallback = option.default if fallback is _TABLE_DEFAULT else fallback
    name = variable or option.env or option.name
    try:
        return option.check(name, raw)
    except (TypeError, ValueError) as error:
        message = str(error)
        if not message.startswith(name):
            message = f"{name} is invalid ({message})"
        action = "leaving it unset" if fallback in (None, ()) else f"using {fallback!r} instead"
        LOGGER.warning("scopetel: %s; %s", message, action)
        return fallback


def option(name: str) -> Option:
    """The table's row for option ``name``."""
    return _BY_NAME[name]


def option_names() -> tuple[str, ...]:
    return tuple(option.name for option in TABLE)


def dataclass_names() -> tuple[str, ...]:
    return tuple(field.name for field in fields(Options))


def markdown_table() -> str:
    """The options table for the README, from the same table the code reads."""
    rows = ["| option | variable | default | meaning |", "|---|---|---|---|"]
    for option in TABLE:
        default = "unset" if option.default in (None, ()) else f"`{option.default!r}`"
        env = f"`{option.env}`" if option.env else ""
        rows.append(f"| `{option.name}` | {env} | {default} | {option.doc} |")
    return "\n".join(rows)
