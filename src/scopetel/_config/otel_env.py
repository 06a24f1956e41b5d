"""The standard ``OTEL_*`` variables under ``opentelemetry-instrument``: scopetel's
defaults for them, and checks that keep a bad value from stopping the SDK.

The SDK raises (and auto-instrumentation then gives up entirely) on an unknown
exporter name or OTLP protocol; here such a value is reported in one line naming the
variable and the fallback, and replaced in ``os.environ`` before the SDK reads it.
``VARIABLES`` documents every variable scopetel reads or defaults (README table).
"""

import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Final
from urllib.parse import urlsplit, urlunsplit

LOGGER: Final = logging.getLogger("scopetel")

SDK_DISABLED: Final = "OTEL_SDK_DISABLED"
PROPAGATORS: Final = "OTEL_PROPAGATORS"
TRACES_SAMPLER: Final = "OTEL_TRACES_SAMPLER"
TRACES_SAMPLER_ARG: Final = "OTEL_TRACES_SAMPLER_ARG"
CONFIG_FILE: Final = "OTEL_CONFIG_FILE"
DEFAULT_PROPAGATORS: Final = "tracecontext,baggage,scopetel"
DEFAULT_PROTOCOL: Final = "http/protobuf"
SCOPETEL: Final = "scopetel"

_PROTOCOLS: Final = {"grpc": "otlp_proto_grpc", "http/protobuf": "otlp_proto_http"}
_OTLP_NAMES: Final = ("otlp", *_PROTOCOLS.values())
_SIGNALS: Final = ("traces", "metrics", "logs")
_ENDPOINTS: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


@dataclass(frozen=True)
class Variable:
    """A row of the README's table of OpenTelemetry variables."""

    name: str
    default: str
    meaning: str


VARIABLES: Final = (
    Variable(
        "OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES",
        "SDK's",
        "The resource, sent as `contexts.otel.resource`; `deployment.environment.name` "
        "(or `deployment.environment`), `service.version` and `host.name` fill unset "
        "environment, release and server_name.",
    ),
    Variable(
        "OTEL_TRACES_EXPORTER",
        "`otlp` if an OTLP endpoint variable is set, else `none`",
        "Exporters fed the same spans as Sentry; unknown names are dropped with a warning.",
    ),
    Variable(
        "OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "unset",
        "Where OTLP goes; setting one turns the `otlp` traces exporter on.",
    ),
    Variable(
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        f"`{DEFAULT_PROTOCOL}`",
        "`http/protobuf` or `grpc` (needs `scopetel[grpc]`); other values fall back to "
        "`http/protobuf` with a warning. Other `OTEL_EXPORTER_OTLP_*` and `OTEL_BSP_*` "
        "variables work as usual.",
    ),
    Variable(
        "OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER",
        "`none`",
        "As in the SDK when set, with `init()` too: the `MeterProvider` gets "
        "`scopetel.metrics` values and the asyncio runtime metrics, the `LoggerProvider` "
        "(with `enable_logs`) the logs Sentry gets. With `none`, no `MeterProvider` is set "
        "(the SDK's configurator would set one with no reader, which takes every "
        "instrumentation's measurements for nothing): the application may set its own, and "
        "instrumentations' meters follow it.",
    ),
    Variable(
        "OTEL_PROPAGATORS",
        f"`{DEFAULT_PROPAGATORS}`",
        "`scopetel` reads and writes `sentry-trace` and Sentry's `baggage` entries.",
    ),
    Variable(
        "OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG",
        "unset",
        "Unset or `scopetel`: Sentry sampling (`SENTRY_TRACES_SAMPLE_RATE`, else the "
        "`scopetel` sampler's argument, else 1.0); any other sampler decides alone.",
    ),
    Variable("OTEL_SDK_DISABLED", "`false`", "`true`: scopetel does nothing, instruments nothing."),
    Variable(
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS",
        "unset",
        "Instrumentors not loaded; scopetel's also by their name without `scopetel_`.",
    ),
    Variable(
        "OTEL_PYTHON_CONFIGURATOR",
        f"`{SCOPETEL}`",
        "So scopetel's configurator is the one loaded when another package (e.g. "
        "opentelemetry-distro) registers one too.",
    ),
)


def markdown_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for variable in VARIABLES:
        names = ", ".join(f"`{name.strip()}`" for name in variable.name.split(","))
        rows.append(f"| {names} | {variable.default} | {variable.meaning} |")
    return "\n".join(rows)


def sdk_disabled(environ: Mapping[str, str]) -> bool:
    """``OTEL_SDK_DISABLED=true`` (any case), as the SDK reads it."""
    return environ.get(SDK_DISABLED, "").strip().lower() == "true"


def distro_defaults(environ: Mapping[str, str]) -> dict[str, str]:
    """The defaults the distro sets where a variable is unset.

    Traces go to OTLP only when an endpoint is configured: exporting to the default
    ``localhost:4318`` where nothing listens would log an error per batch. Metrics and
    logs are off unless asked for. OTLP uses ``http/protobuf`` (the specification's
    default and scopetel's dependency; the Python SDK alone would pick gRPC).
    """
    wants_otlp = any(environ.get(name, "").strip() for name in _ENDPOINTS)
    return {
        "OTEL_PYTHON_CONFIGURATOR": SCOPETEL,
        PROPAGATORS: DEFAULT_PROPAGATORS,
        "OTEL_TRACES_EXPORTER": "otlp" if wants_otlp else "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": DEFAULT_PROTOCOL,
    }


def _check_protocols(environ: MutableMapping[str, str]) -> None:
    names = ["OTEL_EXPORTER_OTLP_PROTOCOL"]
    names += [f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL" for signal in _SIGNALS]
    for name in names:
        value = environ.get(name)
        if value is not None and value.strip() and value.strip() not in _PROTOCOLS:
            LOGGER.warning(
                "scopetel: %s=%r is not supported (use grpc or http/protobuf); using %r instead",
                name,
                value,
                DEFAULT_PROTOCOL,
            )
            environ[name] = DEFAULT_PROTOCOL


def _protocol(environ: Mapping[str, str], signal: str) -> str | None:
    value = environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL") or environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL"
    )
    return value.strip() if value else None


def entry_point_name(environ: Mapping[str, str], signal: str, name: str) -> str:
    """The entry point the SDK loads for exporter ``name`` (``otlp`` by protocol)."""
    if name != "otlp":
        return name
    return _PROTOCOLS.get(_protocol(environ, signal) or "grpc", "otlp_proto_grpc")


def exporter_entry_points(environ: Mapping[str, str], signal: str) -> list[str]:
    """The exporter entry points ``OTEL_<SIGNAL>_EXPORTER`` names, as ``init()`` loads
    them (``otlp`` over ``http/protobuf`` unless a protocol variable says ``grpc``)."""
    raw = environ.get(f"OTEL_{signal.upper()}_EXPORTER", "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names or raw.strip().lower() == "none":
        return []
    protocol = _PROTOCOLS.get(_protocol(environ, signal) or "", _PROTOCOLS[DEFAULT_PROTOCOL])
    return [protocol if name == "otlp" else name for name in names]


def drop_own_trace_exporter(environ: MutableMapping[str, str]) -> None:
    """Under scopetel's configurator the ``scopetel`` traces exporter would send every
    span to Sentry a second time: take it out of ``OTEL_TRACES_EXPORTER``, with a hint."""
    raw = environ.get("OTEL_TRACES_EXPORTER", "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if "scopetel" not in names:
        return
    kept = ",".join(name for name in names if name != "scopetel") or "none"
    LOGGER.warning(
        "scopetel: OTEL_TRACES_EXPORTER names 'scopetel', but scopetel's configurator already "
        "sends spans to Sentry (SENTRY_TRACE_LIFECYCLE=stream streams them); using %r",
        kept,
    )
    environ["OTEL_TRACES_EXPORTER"] = kept


def check_exporters(environ: MutableMapping[str, str]) -> list[str]:
    """Drop unknown exporter names (one warning per variable); the trace exporters'
    entry point names."""
    _check_protocols(environ)
    traces: list[str] = []
    for signal in _SIGNALS:
        variable = f"OTEL_{signal.upper()}_EXPORTER"
        raw = environ.get(variable, "")
        names = [name.strip() for name in raw.split(",") if name.strip()]
        if not names or raw.strip().lower() == "none":
            continue
        installed = {ep.name for ep in entry_points(group=f"opentelemetry_{signal}_exporter")}
        known = [n for n in names if entry_point_name(environ, signal, n) in installed]
        unknown = [n for n in names if n not in known]
        if unknown:
            replacement = ",".join(known) or "none"
            hint = " (grpc needs scopetel[grpc])" if any(n in _OTLP_NAMES for n in unknown) else ""
            LOGGER.warning(
                "scopetel: %s names exporter(s) not installed: %s%s; using %r instead",
                variable,
                ", ".join(repr(n) for n in unknown),
                hint,
                replacement,
            )
            environ[variable] = replacement
        if signal == "traces":
            traces = [entry_point_name(environ, signal, name) for name in known]
    return traces


def foreign_sampler(environ: Mapping[str, str]) -> bool:
    """True when ``OTEL_TRACES_SAMPLER`` names an installed sampler other than scopetel's.

    An unknown name is reported once and scopetel's sampler is used.
    """
    name = environ.get(TRACES_SAMPLER, "").strip()
    if not name or name == SCOPETEL:
        return False
    if any(ep.name == name for ep in entry_points(group="opentelemetry_traces_sampler")):
        return True
    LOGGER.warning(
        "scopetel: %s=%r is not an installed sampler; using scopetel's sampler instead",
        TRACES_SAMPLER,
        name,
    )
    return False


def describe_exporter(environ: Mapping[str, str], name: str) -> str:
    """``name`` with the OTLP endpoint it sends to (without credentials)."""
    if name not in _PROTOCOLS.values():
        return name
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if not endpoint:
        base = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
        if name == "otlp_proto_grpc":
            endpoint = base or "http://localhost:4317"
        else:
            endpoint = (base or "http://localhost:4318").rstrip("/") + "/v1/traces"
    parts = urlsplit(endpoint)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{name} ({urlunsplit((parts.scheme, netloc, parts.path, '', ''))})"
