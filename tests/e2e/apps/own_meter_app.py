"""An application that sets its own MeterProvider after ``opentelemetry-instrument`` ran
(no metrics exporter named): a counter made before (as instrumentations make theirs at
import) reaches the application's reader. Prints one JSON line."""

import json

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

before = type(metrics.get_meter_provider()).__name__
early = metrics.get_meter("early.instrumentation").create_counter("early.count")
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
early.add(2)
data = reader.get_metrics_data()
names = [
    metric.name
    for resource_metrics in (data.resource_metrics if data else [])
    for scope_metrics in resource_metrics.scope_metrics
    for metric in scope_metrics.metrics
]
print(json.dumps({"before": before, "names": names}))
