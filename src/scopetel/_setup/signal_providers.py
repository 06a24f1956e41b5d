"""The OpenTelemetry ``LoggerProvider`` and ``MeterProvider`` that logs and metrics go through.

Under ``opentelemetry-instrument`` the SDK configurator builds both from the
``OTEL_*`` variables, with scopetel's Sentry log processor first in the logger
provider (``log_record_processors``). With ``init()`` alone:

* an SDK ``LoggerProvider`` already set gets the Sentry processor; with none and
  ``enable_logs`` on, one is made (scopetel's resource, the Sentry processor, then a
  ``BatchLogRecordProcessor`` per exporter of ``OTEL_LOGS_EXPORTER``) and set globally;
* with no SDK ``MeterProvider`` set and ``OTEL_METRICS_EXPORTER`` naming exporters
  (``otlp``, ``prometheus``, ``console`` …), one is made with their readers, so
  ``sentry_sdk.metrics`` values and the asyncio runtime metrics reach them.

OpenTelemetry allows one global provider of each kind per process: a later ``init()``
keeps them and only switches the client the Sentry processor feeds.
"""

import logging
import os
from importlib.metadata import entry_points
from typing import Any, Final

from opentelemetry import metrics as otel_metrics
from opentelemetry._logs import get_logger_provider, set_logger_provider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource

from scopetel._config import otel_env
from scopetel._config.options import Options
from scopetel._signals import log_processor

LOGGER: Final = logging.getLogger("scopetel")


def ensure_logger_provider(options: Options, resource: Resource) -> None:
    """The Sentry log processor in the global SDK ``LoggerProvider`` (made if needed)."""
    current = get_logger_provider()
    if isinstance(current, LoggerProvider):
        log_processor.install(current)
        return
    if not options.enable_logs:
        return
    provider = LoggerProvider(resource=resource)
    log_processor.install(provider)
    for exporter in _exporters("logs", LogRecordExporter):
        provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    set_logger_provider(provider)


def ensure_meter_provider(resource: Resource) -> None:
    """A global SDK ``MeterProvider`` with the readers of ``OTEL_METRICS_EXPORTER``."""
    if isinstance(otel_metrics.get_meter_provider(), MeterProvider):
        return
    readers: list[MetricReader] = []
    for exporter in _exporters("metrics", MetricExporter | MetricReader):
        if isinstance(exporter, MetricReader):
            readers.append(exporter)
        else:
            readers.append(PeriodicExportingMetricReader(exporter))
    if readers:
        otel_metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))


def _exporters(signal: str, kind: Any) -> list[Any]:
    """Instances of the exporters ``OTEL_<SIGNAL>_EXPORTER`` names; one warning per
    name that is not installed or fails to start."""
    names = otel_env.exporter_entry_points(os.environ, signal)
    if not names:
        return []
    found = {ep.name: ep for ep in entry_points(group=f"opentelemetry_{signal}_exporter")}
    made: list[Any] = []
    for name in names:
        try:
            exporter = found[name].load()()
            if not isinstance(exporter, kind):
                raise TypeError(f"{type(exporter).__name__} is not a {signal} exporter")
            made.append(exporter)
        except KeyError:
            LOGGER.warning("scopetel: OTEL_%s_EXPORTER: %r is not installed", signal.upper(), name)
        except Exception as error:
            LOGGER.warning(
                "scopetel: OTEL_%s_EXPORTER: %r could not start: %s", signal.upper(), name, error
            )
    return made
