"""The test OTLP receivers accept what real exporters send (protobuf over HTTP, gRPC)
and OTLP/JSON, and refuse malformed requests with a 400."""

import gzip
import json
from collections.abc import Iterator

import pytest
import urllib3
from google.protobuf import json_format
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcExporter,
)
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter

from tests.support.otlp_receiver import OtlpGrpcReceiver, OtlpHttpReceiver, parse_json_request

HTTP = urllib3.PoolManager()


@pytest.fixture
def receiver() -> Iterator[OtlpHttpReceiver]:
    with OtlpHttpReceiver() as otlp:
        yield otlp


def _emit(exporter: SpanExporter) -> tuple[str, str]:
    provider = TracerProvider(resource=Resource.create({"service.name": "svc"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("receiver-test")
    with (
        tracer.start_as_current_span("parent", Context()),
        tracer.start_as_current_span("child", attributes={"n": 1, "tags": ["a", "b"]}) as child,
    ):
        context = child.get_span_context()
    provider.shutdown()
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def test_http_protobuf_from_the_real_exporter_gzipped(receiver: OtlpHttpReceiver) -> None:
    exporter = OTLPSpanExporter(endpoint=f"{receiver.url}/v1/traces", compression=Compression.Gzip)
    trace_id, span_id = _emit(exporter)
    spans = {span.name: span for span in receiver.spans()}
    assert (spans["child"].trace_id, spans["child"].span_id) == (trace_id, span_id)
    assert spans["child"].parent_span_id == spans["parent"].span_id
    assert spans["parent"].parent_span_id is None
    assert spans["child"].attributes == {"n": 1, "tags": ["a", "b"]}
    assert spans["child"].resource["service.name"] == "svc"
    assert receiver.errors == []


def test_grpc_from_the_real_exporter() -> None:
    with OtlpGrpcReceiver() as otlp:
        trace_id, _ = _emit(GrpcExporter(endpoint=otlp.url, insecure=True))
        assert {span.trace_id for span in otlp.spans()} == {trace_id}
        assert {span.transport for span in otlp.spans()} == {"grpc"}


def test_json_with_hex_ids(receiver: OtlpHttpReceiver) -> None:
    body = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "j"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "json"},
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "parentSpanId": "eee19b7ec3c1b173",
                                "name": "from json",
                                "kind": 2,
                                "startTimeUnixNano": "1544712660000000000",
                                "endTimeUnixNano": "1544712661000000000",
                            }
                        ],
                    }
                ],
            }
        ]
    }
    for encoded, headers in [
        (json.dumps(body).encode(), {"Content-Type": "application/json"}),
        (
            gzip.compress(json.dumps(body).encode()),
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
    ]:
        response = HTTP.request("POST", f"{receiver.url}/v1/traces", body=encoded, headers=headers)
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
    first, second = receiver.spans()
    assert first == second
    assert (first.trace_id, first.span_id, first.parent_span_id) == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "eee19b7ec3c1b173",
    )
    assert (first.name, first.kind, first.scope, first.transport) == (
        "from json",
        2,
        "json",
        "http/json",
    )


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/v1/traces", "application/x-protobuf", b"\xff\xff not protobuf"),
        ("/v1/traces", "application/json", b'{"resourceSpans": [{"bogus": 1}]}'),
        ("/v1/traces", "text/plain", b"hello"),
        ("/v1/metrics", "application/x-protobuf", b"\xff\xff not protobuf"),
        ("/v1/logs", "text/plain", b"hello"),
    ],
)
def test_malformed_requests_get_400(
    receiver: OtlpHttpReceiver, path: str, content_type: str, body: bytes
) -> None:
    response = HTTP.request(
        "POST", f"{receiver.url}{path}", body=body, headers={"Content-Type": content_type}
    )
    assert response.status == 400
    assert len(receiver.errors) == 1
    assert receiver.spans() == []


def test_json_parse_is_strict() -> None:
    with pytest.raises(json_format.ParseError):
        parse_json_request(b'{"resourceSpans": [{"unknownField": true}]}')
