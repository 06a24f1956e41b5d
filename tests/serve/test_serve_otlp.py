"""``scopetel serve`` and OTLP/HTTP traces: protobuf and JSON, the real exporter, faults."""

import gzip
import http.client
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.rpc.status_pb2 import Status as RpcStatus
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as ProtoResource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from scopetel.serve import Receiver

TRACE = "5b8efff798038103d269b633813fc60c"
ROOT, CHILD, LEAF = "eee19b7ec3c1b174", "eee19b7ec3c1b173", "0102030405060708"
T0 = 1_700_000_000_000_000_000  # ns
PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def receiver(output: io.StringIO, tmp_path: Path) -> Iterator[Receiver]:
    jsonl = tmp_path / "otlp.jsonl"
    # otlp_settle=0: print each request's spans at once (the waiting is tested on its own)
    with Receiver(port=0, out=output, jsonl=jsonl, color="never", otlp_settle=0) as server:
        yield server


def post(receiver: Receiver, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
    try:
        connection.request("POST", "/v1/traces", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        connection.close()


def jsonl(receiver: Receiver) -> list[dict[str, Any]]:
    assert receiver.jsonl is not None
    return [json.loads(line) for line in receiver.jsonl.read_text().splitlines()]


def _kv(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def protobuf_request() -> ExportTraceServiceRequest:
    """A server span, its client child and a failed internal grandchild."""
    attributes = [
        _kv("http.route", AnyValue(string_value="/orders")),
        _kv("retries", AnyValue(int_value=3)),
        _kv("ratio", AnyValue(double_value=float("nan"))),
        _kv("cached", AnyValue(bool_value=True)),
        _kv("tags", AnyValue(array_value=ArrayValue(values=[AnyValue(string_value="a")]))),
        _kv("raw", AnyValue(bytes_value=b"\x00\x01")),
        _kv(
            "nested", AnyValue(kvlist_value=KeyValueList(values=[_kv("k", AnyValue(int_value=1))]))
        ),
    ]

    def span(span_id: str, parent: str, name: str, kind: int, start_ms: int, end_ms: int) -> Span:
        return Span(
            trace_id=bytes.fromhex(TRACE),
            span_id=bytes.fromhex(span_id),
            parent_span_id=bytes.fromhex(parent),
            name=name,
            kind=kind,  # type: ignore[arg-type]
            start_time_unix_nano=T0 + start_ms * 1_000_000,
            end_time_unix_nano=T0 + end_ms * 1_000_000,
        )

    root = span(ROOT, "", "GET /orders", Span.SPAN_KIND_SERVER, 0, 40)
    root.attributes.extend(attributes)
    child = span(CHILD, ROOT, "SELECT orders", Span.SPAN_KIND_CLIENT, 5, 25)
    leaf = span(LEAF, CHILD, "decode", Span.SPAN_KIND_INTERNAL, 10, 12)
    leaf.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message="bad row"))
    scope = ScopeSpans(
        scope=InstrumentationScope(name="demo", version="1.0"), spans=[leaf, root, child]
    )
    resource = ProtoResource(attributes=[_kv("service.name", AnyValue(string_value="shop"))])
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[scope])]
    )


def json_request() -> dict[str, Any]:
    """The same request in the OTLP JSON encoding, written by hand."""

    def span(span_id: str, parent: str, name: str, kind: int, start_ms: int, end_ms: int) -> Any:
        return {
            "traceId": TRACE,
            "spanId": span_id,
            "parentSpanId": parent,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": str(T0 + start_ms * 1_000_000),
            "endTimeUnixNano": T0 + end_ms * 1_000_000,
            "someFutureField": {"ignored": True},
        }

    root = span(ROOT, "", "GET /orders", 2, 0, 40)
    root["attributes"] = [
        {"key": "http.route", "value": {"stringValue": "/orders"}},
        {"key": "retries", "value": {"intValue": "3"}},
        {"key": "ratio", "value": {"doubleValue": "NaN"}},
        {"key": "cached", "value": {"boolValue": True}},
        {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}},
        {"key": "raw", "value": {"bytesValue": "AAE="}},
        {
            "key": "nested",
            "value": {"kvlistValue": {"values": [{"key": "k", "value": {"intValue": 1}}]}},
        },
    ]
    leaf = span(LEAF, CHILD, "decode", 1, 10, 12)
    leaf["status"] = {"code": 2, "message": "bad row"}
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "demo", "version": "1.0"},
                        "spans": [leaf, root, span(CHILD, ROOT, "SELECT orders", 3, 5, 25)],
                    }
                ],
            }
        ]
    }


TREE = f"""\
otlp trace {TRACE} · service shop · 3 spans
  server  GET /orders  40.0 ms
  └─ client  SELECT orders  20.0 ms  at +5.0 ms
     └─ internal  decode  2.0 ms  at +10.0 ms  ✗ error: bad row
"""

ROOT_PAYLOAD = {
    "traceId": TRACE,
    "spanId": ROOT,
    "parentSpanId": None,
    "name": "GET /orders",
    "kind": "server",
    "startTimeUnixNano": T0,
    "endTimeUnixNano": T0 + 40_000_000,
    "status": {"code": "unset", "message": ""},
    "attributes": {
        "http.route": "/orders",
        "retries": 3,
        "ratio": "nan",
        "cached": True,
        "tags": ["a"],
        "raw": "AAE=",
        "nested": {"k": 1},
    },
    "events": [],
    "links": [],
}


def test_protobuf_request_prints_one_tree_per_trace_and_records_each_span(
    receiver: Receiver, output: io.StringIO
) -> None:
    status, body, content_type = post(receiver, protobuf_request().SerializeToString(), PROTOBUF)
    assert (status, content_type) == (200, "application/x-protobuf")
    ExportTraceServiceResponse().ParseFromString(body)
    assert TREE in output.getvalue()
    lines = jsonl(receiver)
    assert [line["kind"] for line in lines] == ["otlp_span"] * 3
    assert [line["payload"]["spanId"] for line in lines] == [LEAF, ROOT, CHILD]
    assert lines[1]["payload"] == ROOT_PAYLOAD
    assert lines[1]["resource"] == {"service.name": "shop"}
    assert lines[1]["scope"] == {"name": "demo", "version": "1.0"}
    assert lines[0]["payload"]["status"] == {"code": "error", "message": "bad row"}


def test_json_request_decodes_to_exactly_what_protobuf_does(
    receiver: Receiver, output: io.StringIO
) -> None:
    assert post(receiver, protobuf_request().SerializeToString(), PROTOBUF)[0] == 200
    status, body, content_type = post(receiver, json.dumps(json_request()).encode(), JSON)
    assert (status, json.loads(body), content_type) == (200, {}, "application/json")
    lines = jsonl(receiver)
    from_protobuf = [{k: v for k, v in line.items() if k != "timestamp"} for line in lines[:3]]
    from_json = [{k: v for k, v in line.items() if k != "timestamp"} for line in lines[3:]]
    assert from_json == from_protobuf
    assert output.getvalue().count(TREE) == 2


def test_json_with_snake_case_names_and_gzip_is_accepted(receiver: Receiver) -> None:
    document = {
        "resource_spans": [
            {"scope_spans": [{"spans": [{"trace_id": TRACE, "span_id": ROOT, "name": "x"}]}]}
        ]
    }
    headers = JSON | {"Content-Encoding": "gzip"}
    assert post(receiver, gzip.compress(json.dumps(document).encode()), headers)[0] == 200
    (line,) = jsonl(receiver)
    assert (line["payload"]["traceId"], line["payload"]["spanId"]) == (TRACE, ROOT)


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_the_real_otlp_exporter(
    receiver: Receiver, output: io.StringIO, compression: Compression
) -> None:
    exporter = OTLPSpanExporter(endpoint=receiver.otlp_traces_endpoint, compression=compression)
    provider = TracerProvider(resource=Resource.create({"service.name": "exporter-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("checkout", kind=SpanKind.SERVER) as root:
        with tracer.start_as_current_span("charge", kind=SpanKind.CLIENT) as child:
            child.set_status(StatusCode.ERROR, "declined")
    provider.shutdown()

    lines = jsonl(receiver)
    assert [line["payload"]["name"] for line in lines] == ["charge", "checkout"]
    charge, checkout = (line["payload"] for line in lines)
    assert checkout["traceId"] == format(root.get_span_context().trace_id, "032x")
    assert checkout["spanId"] == format(root.get_span_context().span_id, "016x")
    assert charge["parentSpanId"] == checkout["spanId"]
    assert lines[0]["resource"]["service.name"] == "exporter-test"
    text = output.getvalue()
    # the exporter sends one span per request: the child first, its parent after it
    assert "client  charge  " in text and f"parent {checkout['spanId']} not received" in text
    assert "server  checkout  " in text
    assert "✗ error: declined" in text


def test_a_trace_split_over_requests_says_where_its_parts_belong(
    receiver: Receiver, output: io.StringIO
) -> None:
    request = protobuf_request()
    spans = request.resource_spans[0].scope_spans[0].spans
    leaf, root, child = list(spans)
    for part in ([root], [child, leaf]):
        del spans[:]
        spans.extend(part)
        assert post(receiver, request.SerializeToString(), PROTOBUF)[0] == 200
    text = output.getvalue()
    assert f"otlp trace {TRACE} · service shop · 2 spans\n" in text
    assert '  client  SELECT orders  20.0 ms  child of "GET /orders" received earlier\n' in text
    assert "  └─ internal  decode  2.0 ms  at +5.0 ms  ✗ error: bad row\n" in text


def test_spans_of_a_trace_sent_apart_are_drawn_as_one_tree_once_settled(tmp_path: Path) -> None:
    output = io.StringIO()
    with Receiver(port=0, out=output, jsonl=None, color="never", otlp_settle=0.3) as receiver:
        request = protobuf_request()
        spans = request.resource_spans[0].scope_spans[0].spans
        leaf, root, child = list(spans)
        for part in ([leaf], [child], [root]):  # the root ends, and is exported, last
            del spans[:]
            spans.extend(part)
            assert post(receiver, request.SerializeToString(), PROTOBUF)[0] == 200
        assert output.getvalue() == ""  # recorded at once, printed when the trace is quiet
        assert receiver.counts() == {"otlp_span": 3}
        deadline = time.monotonic() + 5
        while TREE not in output.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert output.getvalue() == TREE + "\n"
        assert post(receiver, request.SerializeToString(), PROTOBUF)[0] == 200
    # closing prints what is still settling
    assert output.getvalue().endswith("  server  GET /orders  40.0 ms\n\n")


BAD_JSON_ID = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz", "spanId": ROOT}]}]}]}


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (b"\xff\xff\xff", PROTOBUF, 400, "not an OTLP protobuf trace request"),
        (json.dumps(BAD_JSON_ID).encode(), JSON, 400, "span 0: traceId 'xyz' is not 32 hex digits"),
        (b'{"resourceSpans": 5}', JSON, 400, "not an OTLP JSON trace request"),
        (b"[]", JSON, 400, "OTLP JSON body is not an object"),
        (b"{", JSON, 400, "body is not valid JSON"),
        (b"{}", {"Content-Type": "text/plain"}, 415, "unsupported Content-Type 'text/plain'"),
        (b"{}", {}, 415, "unsupported Content-Type 'none'"),
        (b"{}", JSON | {"Content-Encoding": "gzip"}, 400, "body is not valid gzip"),
    ],
)
def test_bad_otlp_requests_get_a_status_with_a_reason(
    receiver: Receiver, body: bytes, headers: dict[str, str], status: int, reason: str
) -> None:
    answer, reply, content_type = post(receiver, body, headers)
    assert answer == status
    if content_type == "application/x-protobuf":
        message = RpcStatus.FromString(reply).message
    elif content_type == "application/json":
        message = json.loads(reply)["message"]
    else:
        message = reply.decode()
    assert reason in message
    assert post(receiver, protobuf_request().SerializeToString(), PROTOBUF)[0] == 200
    assert receiver.counts() == {"otlp_span": 3}
