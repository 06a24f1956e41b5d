"""Workload: a contrib-style span, ``tracer.start_as_current_span`` through the OpenTelemetry API.

What every contrib instrumentation does per operation, on scopetel's provider and on the
OpenTelemetry SDK's (``BatchSpanProcessor``, OTLP-encoding exporter), with the API's
no-op span as the floor: 1,000 children with one attribute under an open root, timed as
in the recording workload (application thread CPU time, least of 15 repeats).
``scopetel_sdk`` is scopetel on OpenTelemetry's SDK ``TracerProvider``.
"""

from typing import Any

from benchmarks import harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Contrib-style span through the OpenTelemetry API"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
CHILDREN = 1000
VARIANTS = (impls.SCOPETEL, impls.OTEL_SDK, impls.OTEL_API, impls.SCOPETEL_SDK)
METRICS = (
    Metric("record_ns", "ns", "CPU time of the application thread per child", timing=True),
    Metric("wall_ns", "ns", "the same in wall time"),
)
TARGETS = (
    Target(
        "≤ 0.5x the same on the OTel SDK", "record_ns", impls.SCOPETEL, impls.OTEL_SDK, at_most=0.5
    ),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    children = 100 if quick else CHILDREN
    batch, before, after = impls.recording_setup(variant, children, otel_children=True)
    timing = harness.recording_ns(batch, children, before=before, after=after, quick=quick)
    return {"record_ns": timing.cpu_ns, "wall_ns": timing.wall_ns}


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
