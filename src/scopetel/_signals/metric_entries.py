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

from scopetel._signals import wire
from scopetel._signals.attributes import text_value
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


def encoder(shared: Mapping[str, object]) -> Encode[PendingMetric]:
    """Encodes a waiting metric as JSON text; ``shared`` are the attributes every metric
    carries (encoded once, here)."""
    names, shared_json = wire.fragment(shared)

    def encode(pending: PendingMetric) -> str:
        metric = pending.log
        attributes = metric.get("attributes")
        own: Mapping[Any, object] = attributes if isinstance(attributes, Mapping) else {}
        parts = wire.members(own.items())
        if pending.shared:
            if names.isdisjoint(own):
                parts.append(shared_json)
            else:
                parts += wire.members((k, v) for k, v in shared.items() if k not in own)
        timestamp = metric.get("timestamp")
        value = metric.get("value")
        kind = metric.get("type")
        text = (
            '{"timestamp":'
            + float.__repr__(float(timestamp) if _finite(timestamp) else time.time())  # type: ignore[arg-type]
            + ',"name":'
            + wire.string(text_value(metric.get("name")))
            + ',"type":"'
            + (kind if kind in TYPES else "counter")
            + '","value":'
            + float.__repr__(float(value) if _finite(value) else 0.0)  # type: ignore[arg-type]
            + ',"attributes":{'
            + ",".join(parts)
            + "}"
        )
        return text + wire.ids(metric, ("trace_id", "span_id", "unit")) + "}"

    return encode


def _finite(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)  # type: ignore[arg-type]
