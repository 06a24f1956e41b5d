"""``sentry_sdk.metrics`` values through the OpenTelemetry metrics API.

Each (name, type, unit) gets one instrument of the meter ``scopetel.metrics`` on the
global ``MeterProvider``: a counter for ``count``, a synchronous gauge for ``gauge``,
a histogram for ``distribution``. Whatever readers the provider has
(``OTEL_METRICS_EXPORTER``: OTLP, Prometheus …) aggregate and export them, next to
scopetel's asyncio runtime metrics; with no SDK provider the calls cost next to nothing.
"""

import logging
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry import metrics as otel_metrics

from scopetel._fork_safety import ForkSafeLock
from scopetel._version import VERSION

LOGGER: Final = logging.getLogger("scopetel")
METER_NAME: Final = "scopetel.metrics"
MAX_INSTRUMENTS: Final = 2_000  # names made up at run time must not grow without end

Instrument = otel_metrics.Counter | otel_metrics._Gauge | otel_metrics.Histogram


class Meters:
    """The instruments of the values recorded so far, created on first use."""

    def __init__(self) -> None:
        self._lock = ForkSafeLock()  # a forked child never inherits it held
        self._instruments: dict[tuple[str, str, str], Instrument] = {}
        self._meter: otel_metrics.Meter | None = None

    def record(
        self, name: str, kind: str, value: float, unit: str | None, attributes: Mapping[str, Any]
    ) -> None:
        instrument = self._instruments.get((name, kind, unit or ""))
        if instrument is None:
            instrument = self._create(name, kind, unit or "")
            if instrument is None:
                return
        if kind == "counter":
            if value < 0:
                return  # an OpenTelemetry counter only goes up: Sentry still gets it
            instrument.add(value, attributes)  # type: ignore[union-attr]
        elif kind == "gauge":
            instrument.set(value, attributes)  # type: ignore[union-attr]
        else:
            instrument.record(value, attributes)  # type: ignore[union-attr]

    def _create(self, name: str, kind: str, unit: str) -> Instrument | None:
        with self._lock:
            key = (name, kind, unit)
            found = self._instruments.get(key)
            if found is not None:
                return found
            if len(self._instruments) >= MAX_INSTRUMENTS:
                LOGGER.debug("scopetel: metric %r not exported to OpenTelemetry (too many)", name)
                return None
            if self._meter is None:
                self._meter = otel_metrics.get_meter(METER_NAME, VERSION)
            meter = self._meter
            instrument: Instrument
            if kind == "counter":
                instrument = meter.create_counter(name, unit=unit)
            elif kind == "gauge":
                instrument = meter.create_gauge(name, unit=unit)
            else:
                instrument = meter.create_histogram(name, unit=unit)
            self._instruments = {**self._instruments, key: instrument}  # readers need no lock
            return instrument


METERS: Final = Meters()
