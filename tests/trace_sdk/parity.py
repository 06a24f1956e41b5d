"""Run one piece of traced code on the SDK's provider and on the lean one, and compare.

Both providers get the same seeded id generator, so the same code draws the same ids;
what an OTLP exporter would send (``encode_spans``, the protobuf every OTLP exporter
posts) is compared field by field, with clock readings and the implementation's own
frames in exception stack traces left out.
"""

import random
import re
from collections.abc import Callable
from typing import Any

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.trace import Tracer

from scopetel._trace_sdk.provider import LeanTracerProvider

Workload = Callable[[Tracer], object]
CLOCK_FLOOR = 10**15  # readings of the clock (ns since 1970) are above; given times below
_OWN_FRAME = re.compile(
    r'  File "[^"]*(site-packages|/src/scopetel/)[^"]*", line \d+, in \S+\n.*\n'
)


class SeededIds(IdGenerator):
    """The same ids, in the same order, for every provider made with the same seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def generate_span_id(self) -> int:
        return self._random.getrandbits(64) or 1

    def generate_trace_id(self) -> int:
        return self._random.getrandbits(128) or 1

    def is_trace_id_random(self) -> bool:
        return True


def run(
    provider_class: type[TracerProvider],
    workload: Workload,
    *,
    sampler: Sampler | None = None,
    limits: SpanLimits | None = None,
    seed: int = 7,
) -> tuple[list[ReadableSpan], object]:
    """The finished spans of ``workload`` on a fresh provider, and what it returned."""
    exporter = InMemorySpanExporter()
    provider = provider_class(
        sampler=sampler,
        resource=Resource.create({"service.name": "parity"}),
        shutdown_on_exit=False,
        id_generator=SeededIds(seed),
        span_limits=limits,
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        returned = workload(provider.get_tracer("parity.test", "1.2.3", "https://schema"))
    finally:
        provider.shutdown()
    return list(exporter.get_finished_spans()), returned


def otlp(spans: list[ReadableSpan]) -> dict[str, Any]:
    """What an OTLP exporter sends for ``spans``, as a dict, clock readings zeroed."""
    message: dict[str, Any] = MessageToDict(encode_spans(spans))
    return _normalize(message)


def _normalize(value: Any) -> Any:
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if key.endswith("UnixNano") and int(item) > CLOCK_FLOOR:
                item = "clock"
            result[key] = _normalize(item)
        return result
    if isinstance(value, list):
        return [_normalize(item) for item in value]
    if isinstance(value, str) and value.startswith("Traceback"):
        return _OWN_FRAME.sub("", value)
    return value


def both(workload: Workload, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The OTLP payloads of ``workload`` on the SDK's provider and on the lean one."""
    sdk_spans, _ = run(TracerProvider, workload, **options)
    lean_spans, _ = run(LeanTracerProvider, workload, **options)
    assert sdk_spans, "the workload finished no span"
    return otlp(sdk_spans), otlp(lean_spans)
