"""Sentry trace metrics: the entry a batch holds and its wire form.

A waiting metric is the dict sentry_sdk hands ``before_send_metric`` (``timestamp``,
``trace_id``, ``span_id``, ``name``, ``type``, ``value``, ``unit``, ``attributes``);
the attributes every metric shares are added when the batch is encoded, unless a hook
already saw them.
"""

import math
import time
from collections.abc import Mapping
from typing import Any, Final

from scopetel._signals.attributes import text_value, typed
from scopetel._signals.batcher import Encode, Kind
from scopetel._signals.log_entries import PendingLog

METRIC: Final = Kind(
    item_type="trace_metric",
    content_type="application/vnd.sentry.items.trace-metric+json",
    category="trace_metric",
    byte_category="trace_metric_byte",
    flush_at=1_000,
    drop_at=10_000,
)
TYPES: Final = ("counter", "gauge", "distribution")

PendingMetric = PendingLog  # the same shape: a dict, and whether shared attributes go in


def encoder(shared: Mapping[str, dict[str, Any]]) -> Encode[PendingMetric]:
    """Encodes a waiting metric; ``shared`` are the typed attributes every metric carries."""

    def encode(pending: PendingMetric) -> dict[str, Any]:
        metric = pending.log
        attributes = metric.get("attributes")
        own = attributes.items() if isinstance(attributes, Mapping) else ()
        wire = {str(key): typed(value) for key, value in own}
        if pending.shared:
            for key, shared_value in shared.items():
                if key not in wire:
                    wire[key] = shared_value
        timestamp = metric.get("timestamp")
        value = metric.get("value")
        out: dict[str, Any] = {
            "timestamp": timestamp if _finite(timestamp) else time.time(),
            "name": text_value(metric.get("name")),
            "type": metric.get("type") if metric.get("type") in TYPES else "counter",
            "value": float(value) if _finite(value) else 0.0,  # type: ignore[arg-type]
            "attributes": wire,
        }
        for key in ("trace_id", "span_id", "unit"):
            field = metric.get(key)
            if field is not None:
                out[key] = text_value(field)
        return out

    return encode


def _finite(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]
