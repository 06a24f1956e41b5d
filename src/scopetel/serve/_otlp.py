"""OTLP/HTTP trace requests (protobuf or JSON) to ``Received`` records, one per span.

Both encodings are decoded into the official ``ExportTraceServiceRequest`` message.
The OTLP JSON encoding differs from protobuf's JSON mapping in one way that matters
here: trace and span ids are hex, not base64, so they are converted before parsing.
Unknown fields are ignored, as the OTLP specification requires of receivers.
"""

import base64
import json
import math
import time
from collections.abc import Iterable
from typing import Any, Final

from google.protobuf import json_format  # type: ignore[import-untyped]
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from google.rpc.status_pb2 import Status  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.proto.trace.v1.trace_pb2 import Status as SpanStatus

from scopetel.serve._errors import RequestError
from scopetel.serve._records import Received

__all__ = ["TRACES_PATH", "error_body", "records_from_otlp", "success_body"]

TRACES_PATH: Final = "/v1/traces"
PROTOBUF: Final = "application/x-protobuf"
JSON: Final = "application/json"
_PROTOBUF_TYPES: Final = frozenset({PROTOBUF, "application/protobuf"})
_ID_KEYS: Final = {"traceId": 16, "trace_id": 16, "spanId": 8, "span_id": 8}
_ID_KEYS_PARENT: Final = {"parentSpanId": 8, "parent_span_id": 8}
_INVALID_ARGUMENT: Final = 3  # google.rpc.Code


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def records_from_otlp(body: bytes, content_type: str | None) -> list[Received]:
    """Decode one export request; ``RequestError`` (400/415) when it cannot be."""
    request = _decode(body, media_type(content_type))
    now = time.time()
    records: list[Received] = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = {"name": scope_spans.scope.name, "version": scope_spans.scope.version}
            for span in scope_spans.spans:
                meta = {"resource": resource, "scope": scope}
                records.append(Received("otlp_span", "otlp", _span(span), meta, now))
    return records


def success_body(content_type: str | None) -> tuple[bytes, str]:
    """An empty ``ExportTraceServiceResponse`` in the request's encoding."""
    if media_type(content_type) == JSON:
        return b"{}", JSON
    return ExportTraceServiceResponse().SerializeToString(), PROTOBUF


def error_body(content_type: str | None, reason: str) -> tuple[bytes, str]:
    """A ``google.rpc.Status`` in the request's encoding (plain text when neither)."""
    kind = media_type(content_type)
    if kind == JSON:
        return json.dumps({"code": _INVALID_ARGUMENT, "message": reason}).encode(), JSON
    if kind in _PROTOBUF_TYPES:
        return Status(code=_INVALID_ARGUMENT, message=reason).SerializeToString(), PROTOBUF
    return reason.encode() + b"\n", "text/plain; charset=utf-8"


def _decode(body: bytes, kind: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    if kind in _PROTOBUF_TYPES:
        try:
            request.ParseFromString(body)
        except DecodeError as error:
            reason = f"body is not an OTLP protobuf trace request: {error}"
            raise RequestError(400, reason) from None
        return request
    if kind == JSON:
        try:
            document = json.loads(body)
        except ValueError as error:
            raise RequestError(400, f"body is not valid JSON: {error}") from None
        if not isinstance(document, dict):
            raise RequestError(400, "OTLP JSON body is not an object")
        try:
            json_format.ParseDict(_hex_ids_to_base64(document), request, ignore_unknown_fields=True)
        except json_format.ParseError as error:
            raise RequestError(400, f"body is not an OTLP JSON trace request: {error}") from None
        return request
    shown = kind or "none"
    raise RequestError(
        415, f"unsupported Content-Type {shown!r} for {TRACES_PATH} (use {PROTOBUF} or {JSON})"
    )


def _hex_ids_to_base64(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the hex ids of spans and links (in place) as protobuf JSON's base64."""
    for resource_spans in _list(document, "resourceSpans", "resource_spans"):
        for scope_spans in _list(resource_spans, "scopeSpans", "scope_spans"):
            for index, span in enumerate(_list(scope_spans, "spans")):
                _convert_ids(span, f"span {index}", parent=True)
                for link in _list(span, "links"):
                    _convert_ids(link, f"a link of span {index}", parent=False)
    return document


def _list(container: Any, *keys: str) -> list[Any]:
    if not isinstance(container, dict):
        return []
    for key in keys:
        value = container.get(key)
        if isinstance(value, list):
            return value
    return []


def _convert_ids(obj: Any, where: str, *, parent: bool) -> None:
    if not isinstance(obj, dict):
        return
    keys = {**_ID_KEYS, **_ID_KEYS_PARENT} if parent else _ID_KEYS
    for key, size in keys.items():
        value = obj.get(key)
        if not isinstance(value, str) or (value == "" and key in _ID_KEYS_PARENT):
            continue
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = b""
        if len(raw) != size:
            raise RequestError(400, f"{where}: {key} {value[:40]!r} is not {size * 2} hex digits")
        obj[key] = base64.b64encode(raw).decode()


def _span(span: Span) -> dict[str, Any]:
    return {
        "traceId": span.trace_id.hex(),
        "spanId": span.span_id.hex(),
        "parentSpanId": span.parent_span_id.hex() or None,
        "name": span.name,
        "kind": Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_").lower(),
        "startTimeUnixNano": span.start_time_unix_nano,
        "endTimeUnixNano": span.end_time_unix_nano,
        "status": {
            "code": SpanStatus.StatusCode.Name(span.status.code)
            .removeprefix("STATUS_CODE_")
            .lower(),
            "message": span.status.message,
        },
        "attributes": _attributes(span.attributes),
        "events": [
            {"name": event.name, "timeUnixNano": event.time_unix_nano}
            | {"attributes": _attributes(event.attributes)}
            for event in span.events
        ],
        "links": [
            {"traceId": link.trace_id.hex(), "spanId": link.span_id.hex()} for link in span.links
        ],
    }


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if which == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if which == "double_value" and not math.isfinite(value.double_value):
        return str(value.double_value)  # 'nan', 'inf': JSON has no such numbers
    return getattr(value, which)
