"""Workload: recording a sampled child span, the cost the application thread pays.

A root span is open; 1,000 children are started and ended one after the other (``with``
blocks) under it: scopetel's and sentry-sdk's ``start_span(op=, name=)``, the
OpenTelemetry SDK's ``start_as_current_span`` with a ``BatchSpanProcessor`` (and an
OTLP-encoding exporter), and the OpenTelemetry API with no SDK at all (its no-op span:
the floor every instrumented library pays). Timed: the CPU time of the application
thread per child (background threads left out; the root's end and the flush that follow
are not timed), the least of 15 repeats per process. ``scopetel_sdk`` is scopetel on
OpenTelemetry's SDK ``TracerProvider`` (``tracer_provider="sdk"``).
"""

from typing import Any

from benchmarks import harness, impls
from benchmarks.harness import Metric, Target

TITLE = "Recording a sampled child span (application thread)"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
CHILDREN = 1000
VARIANTS = (impls.SCOPETEL, impls.OTEL_API, impls.OTEL_SDK, impls.SENTRY_SDK, impls.SCOPETEL_SDK)
METRICS = (
    Metric("record_ns", "ns", "CPU time of the application thread per child", timing=True),
    Metric("wall_ns", "ns", "the same in wall time"),
)
TARGETS = (
    Target("≤ 1.0x OTel API no-op span", "record_ns", impls.SCOPETEL, impls.OTEL_API, at_most=1.0),
    Target(
        "≤ 0.25x OTel SDK (4x faster)", "record_ns", impls.SCOPETEL, impls.OTEL_SDK, at_most=0.25
    ),
    Target(
        "≤ 0.5x sentry-sdk (2x faster)", "record_ns", impls.SCOPETEL, impls.SENTRY_SDK, at_most=0.5
    ),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    children = 100 if quick else CHILDREN
    batch, before, after = impls.recording_setup(variant, children)
    timing = harness.recording_ns(batch, children, before=before, after=after, quick=quick)
    return {"record_ns": timing.cpu_ns, "wall_ns": timing.wall_ns}


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
