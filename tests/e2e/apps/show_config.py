"""Prints, as JSON, the OTEL_* variables as the distro left them and the propagators'
fields, then makes one span."""

import json
import os

from opentelemetry import propagate, trace

with trace.get_tracer("e2e.config").start_as_current_span("configured"):
    pass
print(
    json.dumps(
        {
            "env": {key: value for key, value in os.environ.items() if key.startswith("OTEL_")},
            "fields": sorted(propagate.get_global_textmap().fields),
            "provider": type(trace.get_tracer_provider()).__name__,
        }
    )
)
