"""The one line scopetel logs (INFO, logger ``scopetel``) when a configuration starts.

It says what is enabled and where telemetry goes: the Sentry host and project id
(never the DSN's keys) and the other exporters of the TracerProvider.
"""

from collections.abc import Sequence

from scopetel_exporter_sentry.dsn import Dsn

from scopetel._config.options import Options
from scopetel._version import VERSION


def _percent(rate: float) -> str:
    return f"{rate * 100:g}%"


def _sentry_part(options: Options, own_sampler: bool) -> str:
    if not options.dsn:
        return "Sentry: off (no DSN)"
    dsn = Dsn.parse(options.dsn)
    parts = [f"errors {_percent(options.sample_rate)}"]
    if not own_sampler:
        parts.append("traces as the configured OTEL_TRACES_SAMPLER decides")
    elif options.traces_sampler is not None:
        parts.append("traces by traces_sampler")
    elif options.traces_sample_rate is not None:
        parts.append(f"traces {_percent(options.traces_sample_rate)}")
    else:
        parts.append("traces off")
    parts.append("as spans" if options.trace_lifecycle == "stream" else "as transactions")
    return f"Sentry: project {dsn.project_id} at {dsn.netloc} ({', '.join(parts)})"


def startup_line(options: Options, own_sampler: bool, exporters: Sequence[str]) -> str:
    """E.g. ``scopetel 0.1.0 started; Sentry: project 42 at o1.ingest.sentry.io
    (errors 100%, traces 10%, as transactions); also exporting to: otlp_proto_http``."""
    pieces = [f"scopetel {VERSION} started", _sentry_part(options, own_sampler)]
    if exporters:
        pieces.append("also exporting to: " + ", ".join(exporters))
    labels = [
        f"{name} {value}"
        for name, value in (("environment", options.environment), ("release", options.release))
        if value
    ]
    if labels:
        pieces.append(", ".join(labels))
    return "; ".join(pieces)
