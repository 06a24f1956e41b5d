"""Setting up each implementation the same way in every workload.

* scopetel: ``scopetel.init`` with a transport that serializes each envelope to wire
  bytes (``serialize_envelope``) in ``capture_envelope`` and drops it.
* OpenTelemetry SDK: a ``TracerProvider`` with a ``BatchSpanProcessor`` (or a
  ``SimpleSpanProcessor``) and an exporter that OTLP-encodes each batch to protobuf
  bytes, as ``OTLPSpanExporter`` does before posting, and drops them.
* sentry-sdk: ``sentry_sdk.init`` with a transport that serializes each envelope. It runs
  in its own virtualenv (:data:`SENTRY_SDK_PYTHON`): in ``.venv`` the ``sentry_sdk``
  import name is scopetel's (``scopetel-sentry-sdk``).

Nobody compresses (the OTLP/HTTP exporter does not by default). Every import of an
SDK happens inside the function that sets it up, so a process loads only its own.
"""

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCOPETEL, OTEL_SDK, SENTRY_SDK, OTEL_API = "scopetel", "otel_sdk", "sentry_sdk", "otel_api"
SCOPETEL_SDK = "scopetel_sdk"
"""scopetel on OpenTelemetry's SDK ``TracerProvider`` (``tracer_provider="sdk"``), for
comparison with its own lean one (``scopetel``)."""
SENTRY_SDK_PYTHON = Path(sys.prefix).parent / ".venv-sentry-sdk" / "bin" / "python"
"""The real sentry-sdk's interpreter: ``scripts/setup.sh`` makes it beside ``.venv``."""
CHILD_ATTRIBUTES = {"bench.op": "db"}
"""OpenTelemetry children get one attribute, as Sentry's carry an ``op``: same content."""


def python_for(variant: str) -> Path:
    """The interpreter a variant (``sentry_sdk``, ``sentry_sdk-slow`` …) runs in."""
    if variant.split("-")[0] == SENTRY_SDK:
        return SENTRY_SDK_PYTHON
    return Path(sys.executable)


class WireSink:
    """Counts the wire bytes an implementation produced; keeps them if asked."""

    def __init__(self, keep: bool = False) -> None:
        self.keep = keep
        self.payloads = 0
        self.total_bytes = 0
        self.spans = 0  # spans handed to an OpenTelemetry exporter
        self.kept: list[bytes] = []
        self.lost: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, data: bytes, spans: int = 0) -> None:
        with self._lock:
            self.payloads += 1
            self.total_bytes += len(data)
            self.spans += spans
            if self.keep:
                self.kept.append(data)

    def record_lost(self, reason: str, category: str, quantity: int) -> None:
        with self._lock:
            key = f"{reason}:{category}"
            self.lost[key] = self.lost.get(key, 0) + quantity


# -- scopetel ----------------------------------------------------------------------------
def init_scopetel(sample_rate: float, *, keep: bool = False, **options: Any) -> WireSink:
    """``scopetel.init`` with an in-process transport that serializes envelopes."""
    from scopetel_exporter_sentry.envelope import Envelope, serialize_envelope

    import scopetel

    sink = WireSink(keep)

    class SerializingTransport:
        def capture_envelope(self, envelope: Envelope) -> None:
            sink.add(serialize_envelope(envelope))

        def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
            sink.record_lost(reason, category, quantity)

        def flush(self, timeout: float) -> bool:
            return True

        def close(self, timeout: float) -> None:
            return None

    scopetel.init(transport=SerializingTransport(), traces_sample_rate=sample_rate, **options)
    return sink


def scopetel_options(variant: str) -> dict[str, Any]:
    """``init()`` options of a scopetel variant (``scopetel`` or ``scopetel_sdk``)."""
    return {"tracer_provider": "sdk" if variant == SCOPETEL_SDK else "lean"}


def scopetel_tree(children: int) -> Callable[[], None]:
    """One transaction with ``children`` child spans, each entered as a ``with`` block."""
    import scopetel

    start_transaction, start_span = scopetel.start_transaction, scopetel.start_span

    def batch() -> None:
        with start_transaction(name="request", op="bench"):
            for _ in range(children):
                with start_span(op="db", name="query"):
                    pass

    return batch


def scopetel_flush() -> None:
    import scopetel

    scopetel.flush(timeout=10.0)


# -- OpenTelemetry -----------------------------------------------------------------------
def init_otel_sdk(*, sampled: bool = True, processor: str = "batch", keep: bool = False) -> Any:
    """A global SDK TracerProvider; returns ``(provider, sink)``.

    ``processor``: ``batch`` (BatchSpanProcessor with a queue large enough never to drop,
    other settings default), ``simple`` (SimpleSpanProcessor) or ``none``.
    """
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SimpleSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON

    sink = WireSink(keep)

    class OtlpEncodingExporter(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            sink.add(encode_spans(spans).SerializePartialToString(), len(spans))
            return SpanExportResult.SUCCESS

    provider = TracerProvider(sampler=ALWAYS_ON if sampled else ALWAYS_OFF)
    if processor == "batch":
        provider.add_span_processor(
            BatchSpanProcessor(OtlpEncodingExporter(), max_queue_size=1_000_000)
        )
    elif processor == "simple":
        provider.add_span_processor(SimpleSpanProcessor(OtlpEncodingExporter()))
    trace.set_tracer_provider(provider)
    return provider, sink


def otel_tree(children: int, tracer: Any = None) -> Callable[[], None]:
    """A root with ``children`` children, each made current (``start_as_current_span``)."""
    if tracer is None:
        from opentelemetry import trace

        tracer = trace.get_tracer("bench")
    start = tracer.start_as_current_span

    def batch() -> None:
        with start("request"):
            for _ in range(children):
                with start("query", attributes=CHILD_ATTRIBUTES):
                    pass

    return batch


# -- sentry-sdk --------------------------------------------------------------------------
def init_sentry(sample_rate: float, *, keep: bool = False, **options: Any) -> WireSink:
    """``sentry_sdk.init`` (default integrations) with a serializing transport."""
    import sentry_sdk
    from sentry_sdk.envelope import Envelope
    from sentry_sdk.transport import Transport

    sink = WireSink(keep)

    class SerializingTransport(Transport):
        def capture_envelope(self, envelope: Envelope) -> None:
            sink.add(envelope.serialize())

        def record_lost_event(
            self,
            reason: str,
            data_category: Any = None,
            item: Any = None,
            *,
            quantity: int = 1,
        ) -> None:
            sink.record_lost(reason, str(data_category), quantity)

    sentry_sdk.init(transport=SerializingTransport(), traces_sample_rate=sample_rate, **options)
    return sink


def sentry_tree(children: int) -> Callable[[], None]:
    import sentry_sdk

    start_transaction, start_span = sentry_sdk.start_transaction, sentry_sdk.start_span

    def batch() -> None:
        with start_transaction(name="request", op="bench"):
            for _ in range(children):
                with start_span(op="db", name="query"):
                    pass

    return batch


def sentry_flush() -> None:
    import sentry_sdk

    sentry_sdk.flush(timeout=10.0)


def tree_setup(variant: str, children: int, sampled: bool) -> tuple[Callable[[], None], Any, Any]:
    """``(batch, finish, sink)`` for the root + children workloads, per variant."""
    if variant in (SCOPETEL, SCOPETEL_SDK):
        sink = init_scopetel(1.0 if sampled else 0.0, **scopetel_options(variant))
        return scopetel_tree(children), scopetel_flush, sink
    if variant == SENTRY_SDK:
        sink = init_sentry(1.0 if sampled else 0.0)
        return sentry_tree(children), sentry_flush, sink
    if variant == OTEL_SDK:
        provider, sink = init_otel_sdk(sampled=sampled)
        return otel_tree(children, provider.get_tracer("bench")), provider.force_flush, sink
    if variant == OTEL_API:
        return otel_tree(children), None, None
    raise ValueError(f"unknown variant {variant!r}")


# -- children recorded under an open root --------------------------------------------------
Recording = tuple[Callable[[], None], Callable[[], None], Callable[[], None]]
"""``(batch of children, open the root, end the root and flush)``."""


def recording_setup(variant: str, children: int, *, otel_children: bool = False) -> Recording:
    """Children made one after the other under a root that stays open.

    ``otel_children``: children through the OpenTelemetry API
    (``tracer.start_as_current_span``, as contrib instrumentations make them) rather than
    the SDK's own API (scopetel's or sentry-sdk's ``start_span``).
    """
    opened: list[Any] = []
    if variant in (SCOPETEL, SCOPETEL_SDK, SENTRY_SDK):
        sdk: Any
        if variant == SENTRY_SDK:
            import sentry_sdk as sdk

            init_sentry(1.0, _experiments={"max_spans": children + 10})
        else:
            import scopetel as sdk

            init_scopetel(1.0, max_spans=children + 10, **scopetel_options(variant))

        def open_root() -> None:
            opened.append(sdk.start_transaction(name="request", op="bench").__enter__())

        def end_root() -> None:
            opened.pop().__exit__(None, None, None)
            sdk.flush(timeout=10.0)

        start_span = sdk.start_span
        if not otel_children:

            def batch() -> None:
                for _ in range(children):
                    with start_span(op="db", name="query"):
                        pass

            return batch, open_root, end_root
    else:
        from opentelemetry import trace

        provider = init_otel_sdk()[0] if variant == OTEL_SDK else None

        def open_root() -> None:
            opened.append(trace.get_tracer("bench").start_as_current_span("request"))
            opened[-1].__enter__()

        def end_root() -> None:
            opened.pop().__exit__(None, None, None)
            if provider is not None:
                provider.force_flush()

    from opentelemetry import trace

    start = trace.get_tracer("bench").start_as_current_span

    def otel_batch() -> None:
        for _ in range(children):
            with start("query", attributes=CHILD_ATTRIBUTES):
                pass

    return otel_batch, open_root, end_root
