"""Trace-connected metrics (``sentry_sdk.metrics``): ``count``, ``gauge``, ``distribution``.

::

    scopetel.metrics.count("orders.placed", 1, attributes={"plan": "pro"})
    scopetel.metrics.gauge("queue.depth", 7)
    scopetel.metrics.distribution("cart.value", 42.5, unit="none")

Each value goes to Sentry as a ``trace_metric`` (with the active span's trace and
span ids, batched, ``before_send_metric`` first; off with ``enable_metrics=False``)
and to OpenTelemetry's metrics API (meter ``scopetel.metrics``: a counter, a gauge,
a histogram), so the readers of ``OTEL_METRICS_EXPORTER`` (OTLP, Prometheus) export
them too. A value that is not a finite number is dropped with a debug line. Never raises.
"""

from typing import Any

from scopetel._internal_errors import guarded
from scopetel._signals.metric_capture import capture

__all__ = ["count", "distribution", "gauge"]


@guarded(None)
def count(
    name: str, value: float, unit: str | None = None, attributes: dict[str, Any] | None = None
) -> None:
    """Add ``value`` to the counter ``name``."""
    capture("counter", name, value, unit, attributes)


@guarded(None)
def gauge(
    name: str, value: float, unit: str | None = None, attributes: dict[str, Any] | None = None
) -> None:
    """Set the gauge ``name`` to ``value``."""
    capture("gauge", name, value, unit, attributes)


@guarded(None)
def distribution(
    name: str, value: float, unit: str | None = None, attributes: dict[str, Any] | None = None
) -> None:
    """Record ``value`` in the distribution ``name``."""
    capture("distribution", name, value, unit, attributes)
