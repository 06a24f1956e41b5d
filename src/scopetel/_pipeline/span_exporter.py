"""``SentrySpanExporter``: an OpenTelemetry ``SpanExporter`` that sends spans to Sentry.

For applications that use the plain OpenTelemetry SDK without scopetel's API
(``OTEL_TRACES_EXPORTER=scopetel``, or ``BatchSpanProcessor(SentrySpanExporter())``):
spans go to ``SENTRY_DSN`` as span-streaming envelopes (``span`` items, span v2),
with ``SENTRY_ENVIRONMENT``/``SENTRY_RELEASE`` and the span's resource as attributes.
``export`` only maps and queues: the transport sends from its own thread, so
nothing waits on the network; ``force_flush`` and ``shutdown`` wait at most their
timeout.
"""

import logging
import threading
from collections.abc import Sequence
from typing import Any, Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from scopetel_exporter_sentry.dsn import Dsn
from scopetel_exporter_sentry.transport import HttpTransport

from scopetel._config.options import Options
from scopetel._config.resolution import auto_options
from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import report_internal_error
from scopetel._pipeline.records import CompactSpan
from scopetel._pipeline.segment_resolver import SegmentResolver
from scopetel._pipeline.span_envelopes import Json, common_attributes, root_dsc, span_envelopes
from scopetel._pipeline.span_stream import StreamedSpan
from scopetel._propagation.dsc import DynamicSamplingContext
from scopetel._version import CLIENT

LOGGER: Final = logging.getLogger("scopetel")
SHUTDOWN_TIMEOUT_S: Final = 2.0


class SentrySpanExporter(SpanExporter):
    """Spans → Sentry span envelopes; see the module docstring."""

    def __init__(
        self, dsn: str | None = None, *, transport: Any = None, options: Options | None = None
    ) -> None:
        """``dsn`` and ``options`` default to the ``SENTRY_*`` variables; ``transport``
        (an object with ``capture_envelope``) replaces the HTTP transport."""
        self._options = options or auto_options()
        dsn = dsn or self._options.dsn
        self._public_key = Dsn.parse(dsn).public_key if dsn else None
        if transport is None and dsn:
            transport = HttpTransport(
                Dsn.parse(dsn),
                client=CLIENT,
                max_queue_items=self._options.transport_queue_size,
                http_proxy=self._options.http_proxy,
                https_proxy=self._options.https_proxy,
                ca_certs=self._options.ca_certs,
                keep_alive=self._options.keep_alive,
            )
        if transport is None:
            LOGGER.warning("scopetel: SentrySpanExporter has no SENTRY_DSN; spans are dropped")
        self._transport = transport
        self._resource: Resource | None = None
        self._common: dict[str, Json] = {}
        self._closed = False
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        """Start empty (also in a forked child: spans waiting in the parent are its own)."""
        self._lock = threading.Lock()
        self._segments = SegmentResolver(send_orphans=self._options.orphan_spans == "transactions")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed or self._transport is None:
            return SpanExportResult.SUCCESS
        try:
            compact = [c for span in spans if (c := CompactSpan.from_readable(span)) is not None]
            with self._lock:
                if spans:
                    self._use_resource(spans[0].resource)
                placed = self._segments.add(compact)
            self._send(placed)
            return SpanExportResult.SUCCESS
        except Exception:
            report_internal_error("SentrySpanExporter.export")
            return SpanExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Send the spans still waiting for their parents; wait for the transport."""
        try:
            with self._lock:
                placed = self._segments.flush()
            self._send(placed)
            flush = getattr(self._transport, "flush", None)
            return bool(flush(timeout_millis / 1000)) if flush is not None else True
        except Exception:
            report_internal_error("SentrySpanExporter.force_flush")
            return False

    def shutdown(self) -> None:
        """Send what is left and close the transport, within ``SHUTDOWN_TIMEOUT_S``."""
        if self._closed:
            return
        try:
            self.force_flush(int(SHUTDOWN_TIMEOUT_S * 1000))
            self._closed = True
            close = getattr(self._transport, "close", None)
            if close is not None:
                close(SHUTDOWN_TIMEOUT_S)
        except Exception:
            report_internal_error("SentrySpanExporter.shutdown")

    def _use_resource(self, resource: Resource) -> None:
        if resource is not self._resource:
            self._resource = resource
            self._common = common_attributes(self._options, resource)

    def _send(self, placed: list[StreamedSpan]) -> None:
        if not placed or self._transport is None:
            return
        pii = self._options.send_default_pii
        for envelope in span_envelopes(placed, self._dsc, self._common, send_default_pii=pii):
            self._transport.capture_envelope(envelope)

    def _dsc(self, span: CompactSpan, segment_name: str) -> DynamicSamplingContext:
        """This service's view of the trace's head (an incoming DSC is not visible here)."""
        return root_dsc(span, segment_name, self._options)
