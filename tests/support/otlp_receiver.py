"""Loopback OTLP receivers for tests, on the official ``opentelemetry-proto`` messages.

``OtlpHttpReceiver`` accepts ``POST /v1/traces`` (and ``/v1/logs``, ``/v1/metrics``
as protobuf: ``logs()``, ``metrics()``) on 127.0.0.1 as protobuf
(``application/x-protobuf``) or JSON (``application/json``, OTLP's JSON mapping: hex
trace and span ids), gzip or not, and answers like a collector. ``OtlpGrpcReceiver``
serves the gRPC ``TraceService``. Both record every span they accept::

    with OtlpHttpReceiver() as otlp:
        ...  # OTEL_EXPORTER_OTLP_ENDPOINT=otlp.url
        otlp.wait_for(lambda: len(otlp.spans()) == 3)
        assert otlp.errors == []

A request that does not parse is answered 400 and recorded in ``errors``; the bodies of
those accepted are kept too (``bodies()``, decompressed), to search their raw bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

__all__ = [
    "OtlpGrpcReceiver",
    "OtlpHttpReceiver",
    "OtlpLog",
    "OtlpMetric",
    "OtlpSpan",
    "parse_json_request",
]

ExportRequest = trace_service_pb2.ExportTraceServiceRequest
ExportResponse = trace_service_pb2.ExportTraceServiceResponse

_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


@dataclass(frozen=True)
class OtlpSpan:
    """One received span, ids as lowercase hex (``parent_span_id`` None for a root)."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str
    transport: str  # "http/protobuf", "http/json" or "grpc"


@dataclass(frozen=True)
class OtlpLog:
    """One received log record, ids as lowercase hex ("" when the record has none)."""

    trace_id: str
    span_id: str
    severity_number: int
    severity_text: str
    body: Any
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str


@dataclass(frozen=True)
class OtlpMetric:
    """One received metric data point: counters' and gauges' ``value``, histograms'
    ``count`` and ``sum`` (``value`` None)."""

    name: str
    kind: str  # "sum", "gauge" or "histogram"
    unit: str
    value: float | None
    count: int | None
    sum: float | None
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str


def _logs(request: Any) -> list[OtlpLog]:
    logs: list[OtlpLog] = []
    for resource_logs in request.resource_logs:
        resource = _attributes(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                if len(record.trace_id) not in (0, 16) or len(record.span_id) not in (0, 8):
                    raise ValueError("log record has malformed ids")
                logs.append(
                    OtlpLog(
                        trace_id=record.trace_id.hex(),
                        span_id=record.span_id.hex(),
                        severity_number=record.severity_number,
                        severity_text=record.severity_text,
                        body=_value(record.body),
                        attributes=_attributes(record.attributes),
                        resource=resource,
                        scope=scope_logs.scope.name,
                    )
                )
    return logs


def _metrics(request: Any) -> list[OtlpMetric]:
    found: list[OtlpMetric] = []
    for resource_metrics in request.resource_metrics:
        resource = _attributes(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                for point in getattr(metric, kind).data_points:
                    number = point.WhichOneof("value") if kind != "histogram" else None
                    found.append(
                        OtlpMetric(
                            name=metric.name,
                            kind=kind,
                            unit=metric.unit,
                            value=getattr(point, number) if number else None,
                            count=point.count if kind == "histogram" else None,
                            sum=point.sum if kind == "histogram" else None,
                            attributes=_attributes(point.attributes),
                            resource=resource,
                            scope=scope_metrics.scope.name,
                        )
                    )
    return found


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return None if kind is None else getattr(value, kind)


def _attributes(pairs: Iterator[KeyValue] | Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _spans(request: Any, transport: str) -> list[OtlpSpan]:
    spans: list[OtlpSpan] = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                if len(span.trace_id) != 16 or len(span.span_id) != 8:
                    raise ValueError(f"span {span.name!r} has malformed ids")
                spans.append(
                    OtlpSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex() or None,
                        name=span.name,
                        kind=span.kind,
                        attributes=_attributes(span.attributes),
                        resource=resource,
                        scope=scope_spans.scope.name,
                        transport=transport,
                    )
                )
    return spans


def _hex_ids_to_base64(node: Any) -> None:
    """OTLP/JSON writes ids as hex; protobuf's JSON mapping expects base64 bytes."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_FIELDS and isinstance(value, str):
                node[key] = base64.b64encode(bytes.fromhex(value)).decode()
            else:
                _hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids_to_base64(item)


def parse_json_request(body: bytes) -> Any:
    """An ``ExportTraceServiceRequest`` from OTLP/JSON (strict: unknown fields fail)."""
    document = json.loads(body)
    _hex_ids_to_base64(document)
    return json_format.ParseDict(document, ExportRequest())


class _Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._spans: list[OtlpSpan] = []
        self._errors: list[str] = []
        self._bodies: list[bytes] = []
        self._logs: list[OtlpLog] = []
        self._metrics: list[OtlpMetric] = []
        self.requests = 0

    def record(
        self, spans: list[OtlpSpan] | None, error: str | None, body: bytes | None = None
    ) -> None:
        with self._changed:
            self.requests += 1
            if spans:
                self._spans.extend(spans)
            if error is not None:
                self._errors.append(error)
            if body is not None:
                self._bodies.append(body)
            self._changed.notify_all()

    def spans(self) -> list[OtlpSpan]:
        with self._lock:
            return list(self._spans)

    def logs(self) -> list[OtlpLog]:
        with self._lock:
            return list(self._logs)

    def metrics(self) -> list[OtlpMetric]:
        with self._lock:
            return list(self._metrics)

    def record_signal(self, logs: list[OtlpLog], metrics: list[OtlpMetric]) -> None:
        with self._changed:
            self.requests += 1
            self._logs.extend(logs)
            self._metrics.extend(metrics)
            self._changed.notify_all()

    def bodies(self) -> list[bytes]:
        """Every accepted request body, decompressed (protobuf or JSON bytes)."""
        with self._lock:
            return list(self._bodies)

    @property
    def errors(self) -> list[str]:
        with self._lock:
            return list(self._errors)

    def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds; ``AssertionError`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"condition not met within {timeout}s; {len(self.spans())} span(s) in "
                    f"{self.requests} request(s), errors {self.errors}"
                )
            with self._changed:
                self._changed.wait(min(remaining, 0.05))


_SIGNALS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "/v1/logs": (logs_service_pb2.ExportLogsServiceRequest, _logs),
    "/v1/metrics": (metrics_service_pb2.ExportMetricsServiceRequest, _metrics),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        recorder = self.server.recorder
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path in _SIGNALS and content_type == "application/x-protobuf":
                request_type, parse = _SIGNALS[self.path]
                found = parse(request_type.FromString(body))
                logs = found if self.path == "/v1/logs" else []
                recorder.record_signal(logs, [] if logs else found)
                self._answer(200, "application/x-protobuf", b"")
                return
            if self.path != "/v1/traces":
                raise ValueError(f"unexpected path {self.path!r}")
            if content_type == "application/x-protobuf":
                request = ExportRequest.FromString(body)
                spans = _spans(request, "http/protobuf")
            elif content_type == "application/json":
                spans = _spans(parse_json_request(body), "http/json")
            else:
                raise ValueError(f"unexpected Content-Type {content_type!r}")
        except (ValueError, DecodeError, OSError, json_format.ParseError) as error:
            recorder.record(None, f"{type(error).__name__}: {error}")
            self._answer(400, "text/plain", str(error).encode())
            return
        recorder.record(spans, None, body)
        if content_type == "application/json":
            self._answer(200, "application/json", b"{}")
        else:
            self._answer(200, "application/x-protobuf", ExportResponse().SerializeToString())

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    recorder: _Recorder


class OtlpHttpReceiver(_Recorder):
    """OTLP/HTTP traces on 127.0.0.1; ``url`` is the base for OTEL_EXPORTER_OTLP_ENDPOINT."""

    def __init__(self) -> None:
        super().__init__()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.recorder = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> OtlpHttpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, recorder: _Recorder) -> None:
        self._recorder = recorder

    def Export(self, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            spans = _spans(request, "grpc")
        except ValueError as error:
            self._recorder.record(None, str(error))
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        self._recorder.record(spans, None, request.SerializeToString())
        return ExportResponse()


class OtlpGrpcReceiver(_Recorder):
    """The OTLP gRPC ``TraceService`` on 127.0.0.1 (insecure); ``url`` for the exporter."""

    def __init__(self) -> None:
        super().__init__()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self), self._server)
        self._port = self._server.add_insecure_port("127.0.0.1:0")

    def __enter__(self) -> OtlpGrpcReceiver:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop(grace=None)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"
