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


def option(
    default: _T, check: checks.Check, doc: str, *, env: str | None = None, inert: bool = False
) -> _T:
    """A field of :class:`Options` (typed as its default, as ``dataclasses.field`` is).

    ``inert``: a sentry_sdk option accepted so that existing code runs, without effect
    in scopetel (yet); giving it logs one debug line.
    """
    metadata = {"check": check, "doc": doc, "env": env, "inert": inert}
    return field(default=default, metadata=metadata)


def inert(default: _T, check: checks.Check = checks.anything) -> _T:
    """A sentry_sdk option accepted without effect (see :func:`option`)."""
    return option(default, check, "Accepted for sentry_sdk compatibility; no effect.", inert=True)


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
        "Environment name (unset: the resource's deployment.environment, else production).",
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
        checks.count_or_highest(16, 1000000),
        "Longest string value sent (None: the highest, 1000000).",
        env="SENTRY_MAX_VALUE_LENGTH",
    )
    project_root: str | None = option(
        None,
        checks.str_or_none,
        "Root of the application's source tree: frames of files under it are in_app "
        "(unset: the working directory at init()).",
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
        "A Transport subclass or instance (scopetel.transport), a function f(event), "
        "or an object with capture_envelope(envelope).",
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
    tracer_provider: str = option(
        "lean",
        checks.choice("lean", "sdk"),
        "lean: scopetel's own TracerProvider (the fast one); sdk: OpenTelemetry's SDK "
        "TracerProvider, for the SDK features the lean one lacks (README, Performance). "
        "The first init() of a process decides; a provider set before it is adopted.",
        env="SENTRY_TRACER_PROVIDER",
    )
    default_integrations: bool = option(
        True,
        checks.boolean,
        "Instrument every installed scopetel instrumentor (init() and opentelemetry-instrument).",
        env="SENTRY_DEFAULT_INTEGRATIONS",
    )
    disabled_integrations: tuple[str, ...] = option(
        (),
        checks.integration_names,
        "Integrations (classes, instances or identifiers) and instrumentors not to enable "
        "(also OTEL_PYTHON_DISABLED_INSTRUMENTATIONS).",
        env="SENTRY_DISABLED_INTEGRATIONS",
    )
    late_children_timeout: float = option(
        10.0,
        checks.positive,
        "Seconds a transaction waits for children still open when its root ends.",
        env="SENTRY_LATE_CHILDREN_TIMEOUT",
    )
    orphan_spans: str = option(
        "drop",
        checks.choice("drop", "transactions"),
        "Local roots that are no entry point (client, producer or internal spans of other "
        "instrumentations outside any transaction): drop (they still go to OTLP) or send "
        "each as a transaction.",
        env="SENTRY_ORPHAN_SPANS",
    )
    transaction_naming: str | None = option(
        None,
        checks.or_none(checks.choice("route", "sentry")),
        "Names of routed HTTP transactions: route (`GET /orders/<int:order_id>/`, "
        "OpenTelemetry's) or sentry (`/orders/{order_id}/`, sentry_sdk's integrations'); "
        "unset: sentry when init() is given a sentry_sdk web framework integration "
        "(DjangoIntegration, FlaskIntegration, StarletteIntegration, FastApiIntegration …), "
        "else route.",
        env="SENTRY_TRANSACTION_NAMING",
    )
    # -- sentry_sdk options (issue 11): implemented or accepted -----------------------
    integrations: tuple[Any, ...] = option(
        (),
        checks.integrations,
        "Integrations to enable with their options (scopetel.integrations.*).",
    )
    auto_enabling_integrations: bool = option(
        True,
        checks.boolean,
        "With default_integrations, also enable the integration of every installed library.",
        env="SENTRY_AUTO_ENABLING_INTEGRATIONS",
    )
    enable_tracing: bool | None = option(
        None,
        checks.boolean_or_none,
        "Deprecated in sentry_sdk: true means traces_sample_rate 1.0 when it is unset.",
    )
    propagate_traces: bool = option(
        True,
        checks.boolean,
        "Add trace headers to outgoing requests.",
        env="SENTRY_PROPAGATE_TRACES",
    )
    trace_propagation_targets: tuple[str, ...] = option(
        (".*",),
        checks.strings,
        "Regular expressions of URLs that get outgoing trace headers (default: all).",
        env="SENTRY_TRACE_PROPAGATION_TARGETS",
    )
    max_request_body_size: str = option(
        "medium",
        checks.choice("never", "small", "medium", "always"),
        "Request bodies attached to events: never, small (1 kB), medium (10 kB), always.",
        env="SENTRY_MAX_REQUEST_BODY_SIZE",
    )
    send_client_reports: bool = option(
        True,
        checks.boolean,
        "Send counts of what was dropped, and why.",
        env="SENTRY_SEND_CLIENT_REPORTS",
    )
    auto_session_tracking: bool = option(
        True,
        checks.boolean,
        "Release health: sessions per request/task, or one per process.",
        env="SENTRY_AUTO_SESSION_TRACKING",
    )
    enable_logs: bool = option(
        False,
        checks.boolean,
        "Send structured logs: scopetel.logger, logging records, OpenTelemetry log records.",
        env="SENTRY_ENABLE_LOGS",
    )
    before_send_log: Callable[..., Any] | None = option(
        None, checks.callable_or_none, "Hook(log, hint) to edit a log, or drop it (None)."
    )
    enable_metrics: bool = option(
        True,
        checks.boolean,
        "Send scopetel.metrics values to Sentry (OpenTelemetry gets them either way).",
        env="SENTRY_ENABLE_METRICS",
    )
    before_send_metric: Callable[..., Any] | None = option(
        None, checks.callable_or_none, "Hook(metric, hint) to edit a metric, or drop it (None)."
    )
    spotlight: bool | str | None = option(
        None,
        checks.boolean_or_url,
        "Also send every envelope to Spotlight (true: http://localhost:8969/stream).",
        env="SENTRY_SPOTLIGHT",
    )
    http_proxy: str | None = option(
        None, checks.str_or_none, "Proxy for an http DSN (default: HTTP_PROXY)."
    )
    https_proxy: str | None = option(
        None, checks.str_or_none, "Proxy for an https DSN (default: HTTPS_PROXY)."
    )
    ca_certs: str | None = option(
        None, checks.str_or_none, "CA bundle to verify Sentry's TLS certificate."
    )
    keep_alive: bool = option(
        False, checks.boolean, "TCP keep-alive on connections to Sentry.", env="SENTRY_KEEP_ALIVE"
    )
    event_scrubber: Any = option(
        None, checks.anything, "An EventScrubber (scopetel.scrubber) replacing the default one."
    )
    custom_repr: Callable[..., Any] | None = option(
        None,
        checks.callable_or_none,
        "Callable giving the repr of local variables (None: default).",
    )
    error_sampler: Callable[..., Any] | None = option(
        None, checks.callable_or_none, "Callable(event, hint) giving each error's sample rate."
    )
    org_id: str | None = option(
        None, checks.str_or_none, "Organization id sent in the trace's DSC.", env="SENTRY_ORG_ID"
    )
    functions_to_trace: tuple[Any, ...] = option(
        (), checks.anything_sequence, 'Functions to trace: [{"qualified_name": "mod.func"}].'
    )
    trace_ignore_status_codes: frozenset[int] = option(
        frozenset(), checks.status_codes, "HTTP status codes whose transactions are not sent."
    )
    # -- profiling (issue 16, scopetel._profiling) ----------------------------------------
    profile_session_sample_rate: float | None = option(
        None,
        checks.rate_or_none,
        "Share of processes that profile (continuous profiling); unset: off.",
        env="SENTRY_PROFILE_SESSION_SAMPLE_RATE",
    )
    profile_lifecycle: str = option(
        "manual",
        checks.choice("manual", "trace"),
        "manual: between start_profiler() and stop_profiler(); trace: while a root span is open.",
        env="SENTRY_PROFILE_LIFECYCLE",
    )
    profiles_sample_rate: float | None = option(
        None,
        checks.rate_or_none,
        "Share of sampled root spans profiled (transaction profiling, as the trace lifecycle).",
        env="SENTRY_PROFILES_SAMPLE_RATE",
    )
    profiles_sampler: Callable[..., Any] | None = option(
        None, checks.callable_or_none, "Callable giving each root span's profiling rate."
    )
    profiler_mode: str | None = option(
        None,
        checks.or_none(checks.choice("thread", "gevent", "sleep")),
        "thread, or gevent (a native sampler thread); unset: gevent when monkey-patched.",
        env="SENTRY_PROFILER_MODE",
    )
    profiler_frequency: int = option(
        101, checks.count(1, 1000), "Profiler samples per second.", env="SENTRY_PROFILER_FREQUENCY"
    )
    profiler_detached: bool = option(
        True,
        checks.boolean,
        "Sample without taking the GIL where scopetel-stackwalk can (Linux, CPython 3.11-3.13).",
        env="SENTRY_PROFILER_DETACHED",
    )
    ignore_spans: Any = inert(None)
    data_collection: Any = inert(None)
    socket_options: Any = inert(None)
    proxy_headers: Any = inert(None)
    instrumenter: Any = inert(None)
    enable_backpressure_handling: bool = inert(True)
    enable_db_query_source: bool = inert(True)
    db_query_source_threshold_ms: int = inert(100)
    enable_http_request_source: bool = inert(True)
    http_request_source_threshold_ms: int = inert(100)
    cert_file: str | None = inert(None)
    key_file: str | None = inert(None)
    add_full_stack: bool = inert(False)
    max_stack_frames: int | None = inert(100)
    before_send_span: Callable[..., Any] | None = inert(None)
    strict_trace_continuation: bool = inert(False)
    stream_gen_ai_spans: bool = inert(True)
    _experiments: Any = inert(None)


@dataclass(frozen=True)
class Option:
    """One option as the resolution and the README see it."""

    name: str
    default: Any
    check: checks.Check
    doc: str
    env: str | None = None
    inert: bool = False


TABLE: Final[tuple[Option, ...]] = tuple(
    Option(
        f.name,
        f.default,
        f.metadata["check"],
        f.metadata["doc"],
        f.metadata["env"],
        f.metadata["inert"],
    )
    for f in fields(Options)
)
BY_NAME: Final = {row.name: row for row in TABLE}


def markdown_table() -> str:
    """The options table for the README, from the same declaration the code reads."""
    rows = ["| option | variable | default | meaning |", "|---|---|---|---|"]
    for row in TABLE:
        if row.inert:
            continue
        default = "unset" if row.default in (None, ()) else f"`{row.default!r}`"
        env = f"`{row.env}`" if row.env else ""
        rows.append(f"| `{row.name}` | {env} | {default} | {row.doc} |")
    inert = ", ".join(f"`{row.name}`" for row in TABLE if row.inert)
    rows.append("")
    rows.append(f"Accepted for sentry_sdk compatibility, without effect (yet): {inert}.")
    return "\n".join(rows)
