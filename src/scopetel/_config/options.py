"""Every option of ``scopetel.init()``, declared once: type, default, check, doc, variable.

Each field of :class:`Options` carries its check, its documentation and its environment
variable in the field's metadata; :data:`TABLE` (the README's table, the resolution in
``_config.resolution``) is read from there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Final, TypeVar

from scopetel._config import checks as checks

_T = TypeVar("_T")


def option(default: _T, check: checks.Check, doc: str, *, env: str | None = None) -> _T:
    """A field of :class:`Options` (typed as its default, as ``dataclasses.field`` is)."""
    return field(default=default, metadata={"check": check, "doc": doc, "env": env})


@dataclass(frozen=True)
class Options:
    """Resolved options (see ``_config.resolution.resolve``)."""

    dsn: str | None = option(
        None,
        checks.dsn,
        "Where to send Sentry events; unset: send nothing.",
        env="SENTRY_DSN",
    )
    release: str | None = option(
        None,
        checks.str_or_none,
        "Release of the application.",
        env="SENTRY_RELEASE",
    )
    environment: str | None = option(
        None,
        checks.str_or_none,
        "Environment name.",
        env="SENTRY_ENVIRONMENT",
    )
    server_name: str | None = option(
        None,
        checks.str_or_none,
        "Host name in events.",
        env="SENTRY_SERVER_NAME",
    )
    dist: str | None = option(
        None,
        checks.str_or_none,
        "Distribution of the release.",
        env="SENTRY_DIST",
    )
    sample_rate: float = option(
        1.0,
        checks.rate,
        "Share of error events sent.",
        env="SENTRY_SAMPLE_RATE",
    )
    traces_sample_rate: float | None = option(
        None,
        checks.rate_or_none,
        "Share of new traces sampled; unset: no tracing unless traces_sampler "
        "(under opentelemetry-instrument: 1.0).",
        env="SENTRY_TRACES_SAMPLE_RATE",
    )
    traces_sampler: Callable[..., Any] | None = option(
        None,
        checks.callable_or_none,
        "Callable deciding per root span.",
    )
    before_send: Callable[..., Any] | None = option(
        None,
        checks.callable_or_none,
        "Hook to edit or drop error events.",
    )
    before_send_transaction: Callable[..., Any] | None = option(
        None,
        checks.callable_or_none,
        "Hook for transactions.",
    )
    before_breadcrumb: Callable[..., Any] | None = option(
        None,
        checks.callable_or_none,
        "Hook to edit or drop breadcrumbs.",
    )
    max_breadcrumbs: int = option(
        100,
        checks.count(0, 1000),
        "Breadcrumbs kept.",
        env="SENTRY_MAX_BREADCRUMBS",
    )
    send_default_pii: bool = option(
        False,
        checks.boolean,
        "Send personal data (cookies, IPs, users).",
        env="SENTRY_SEND_DEFAULT_PII",
    )
    ignore_errors: tuple[type[BaseException] | str, ...] = option(
        (),
        checks.error_types,
        "Exception classes or names never reported (variable: comma-separated names).",
        env="SENTRY_IGNORE_ERRORS",
    )
    in_app_include: tuple[str, ...] = option(
        (),
        checks.strings,
        "Module prefixes that are application code.",
        env="SENTRY_IN_APP_INCLUDE",
    )
    in_app_exclude: tuple[str, ...] = option(
        (),
        checks.strings,
        "Module prefixes that are not application code.",
        env="SENTRY_IN_APP_EXCLUDE",
    )
    include_local_variables: bool = option(
        True,
        checks.boolean,
        "Send local variables of frames.",
        env="SENTRY_INCLUDE_LOCAL_VARIABLES",
    )
    include_source_context: bool = option(
        True,
        checks.boolean,
        "Send source lines around frames.",
        env="SENTRY_INCLUDE_SOURCE_CONTEXT",
    )
    attach_stacktrace: bool = option(
        False,
        checks.boolean,
        "Add a stack to messages.",
        env="SENTRY_ATTACH_STACKTRACE",
    )
    max_value_length: int = option(
        1024,
        checks.count(16, 1000000),
        "Longest string value sent.",
        env="SENTRY_MAX_VALUE_LENGTH",
    )
    project_root: str | None = option(
        None,
        checks.str_or_none,
        "Root of the application's source tree.",
        env="SENTRY_PROJECT_ROOT",
    )
    debug: bool = option(
        False,
        checks.boolean,
        "Log what scopetel does at DEBUG level.",
        env="SENTRY_DEBUG",
    )
    shutdown_timeout: float = option(
        2.0,
        checks.positive,
        "Seconds to flush at exit.",
        env="SENTRY_SHUTDOWN_TIMEOUT",
    )
    transport: Any = option(
        None,
        checks.transport,
        "Object with capture_envelope(envelope).",
    )
    transport_queue_size: int = option(
        1000,
        checks.count(1, 1000000),
        "Envelopes waiting to be sent; more are dropped and reported (queue_overflow).",
        env="SENTRY_TRANSPORT_QUEUE_SIZE",
    )
    max_spans: int = option(
        1000,
        checks.count(1, 100000),
        "Spans per transaction; more are counted as dropped.",
        env="SENTRY_MAX_SPANS",
    )
    trace_lifecycle: str = option(
        "static",
        checks.choice("static", "stream"),
        "static: spans in transactions; stream: spans sent one by one.",
        env="SENTRY_TRACE_LIFECYCLE",
    )
    default_integrations: bool = option(
        True,
        checks.boolean,
        "Instrument every installed scopetel instrumentor (init() and opentelemetry-instrument).",
        env="SENTRY_DEFAULT_INTEGRATIONS",
    )
    disabled_integrations: tuple[str, ...] = option(
        (),
        checks.strings,
        "Instrumentors not to enable (also OTEL_PYTHON_DISABLED_INSTRUMENTATIONS).",
        env="SENTRY_DISABLED_INTEGRATIONS",
    )
    late_children_timeout: float = option(
        10.0,
        checks.positive,
        "Seconds a transaction waits for children still open when its root ends.",
        env="SENTRY_LATE_CHILDREN_TIMEOUT",
    )


@dataclass(frozen=True)
class Option:
    """One option as the resolution and the README see it."""

    name: str
    default: Any
    check: checks.Check
    doc: str
    env: str | None = None


TABLE: Final[tuple[Option, ...]] = tuple(
    Option(f.name, f.default, f.metadata["check"], f.metadata["doc"], f.metadata["env"])
    for f in fields(Options)
)
BY_NAME: Final = {row.name: row for row in TABLE}


def markdown_table() -> str:
    """The options table for the README, from the same declaration the code reads."""
    rows = ["| option | variable | default | meaning |", "|---|---|---|---|"]
    for row in TABLE:
        default = "unset" if row.default in (None, ()) else f"`{row.default!r}`"
        env = f"`{row.env}`" if row.env else ""
        rows.append(f"| `{row.name}` | {env} | {default} | {row.doc} |")
    return "\n".join(rows)
