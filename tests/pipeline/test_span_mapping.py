"""Finished OTel spans (real SDK, contrib-style attributes) → Sentry JSON."""

import json
import math
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from scopetel._pipeline.mapping import (
    data,
    measurements,
    op_and_description,
    origin,
    status,
    tags,
    to_span_v2,
    to_trace_context,
    transaction_name_and_source,
)
from scopetel._pipeline.records import CompactSpan
from scopetel._pipeline.span_entries import to_transaction_span
from scopetel._semconv import sentry_attributes as attrs
from scopetel._semconv.conventions import infer_status, scrub_url, status_for_http_code
from tests.support.reference import REFERENCE_DIR
from tests.support.relay import assert_valid_event

STREAM_SAMPLE = REFERENCE_DIR / "stream-01.envelope"


class _Capture(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[CompactSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        compact = CompactSpan.from_readable(span)
        assert compact is not None
        self.spans.append(compact)


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, _Capture]]:
    capture = _Capture()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(capture)
    yield tracer_provider, capture
    tracer_provider.shutdown()


def _finish(
    provider: tuple[TracerProvider, _Capture],
    name: str,
    *,
    scope: str = "opentelemetry.instrumentation.django",
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, AttributeValue] | None = None,
    status_code: StatusCode = StatusCode.UNSET,
) -> CompactSpan:
    tracer_provider, capture = provider
    tracer = tracer_provider.get_tracer(scope)
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as span:
        if status_code is not StatusCode.UNSET:
            span.set_status(Status(status_code))
    return capture.spans[-1]


def test_http_server_old_semconv(provider: Any) -> None:
    span = _finish(
        provider,
        "GET users/<int:pk>/",
        kind=SpanKind.SERVER,
        attributes={
            "http.method": "GET",
            "http.route": "users/<int:pk>/",
            "http.target": "/users/7/?page=2",
            "http.status_code": 200,
        },
    )
    assert op_and_description(span) == ("http.server", "GET users/<int:pk>/")
    assert transaction_name_and_source(span) == ("GET users/<int:pk>/", "route")
    assert origin(span) == "auto.otel.django"
    assert status(span) == "ok"
    assert data(span)["http.target"] == "/users/7/?page=2"


def test_http_server_new_semconv_404_and_url_source(provider: Any) -> None:
    span = _finish(
        provider,
        "GET",
        scope="opentelemetry.instrumentation.asgi",
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": "GET",
            "url.path": "/missing",
            "url.query": "token=secret",
            "http.response.status_code": 404,
        },
    )
    assert op_and_description(span) == ("http.server", "GET /missing")
    # OTel leaves a server's 4xx UNSET; Sentry reports the HTTP status like set_http_status.
    assert status(span) == "not_found"
    assert transaction_name_and_source(span) == ("GET /missing", "url")
    assert origin(span) == "auto.otel.asgi"


def test_http_server_target_without_route_strips_query(provider: Any) -> None:
    span = _finish(
        provider,
        "HTTP GET",
        kind=SpanKind.SERVER,
        attributes={"http.method": "GET", "http.target": "/a/b?x=1"},
    )
    assert transaction_name_and_source(span) == ("GET /a/b", "url")
    assert op_and_description(span)[1] == "GET /a/b"


def test_http_client_old_semconv_scrubs_url_and_maps_error(provider: Any) -> None:
    span = _finish(
        provider,
        "GET",
        scope="opentelemetry.instrumentation.requests",
        kind=SpanKind.CLIENT,
        attributes={
            "http.method": "GET",
            "http.url": "https://user:pw@api.example.com/v1/items?key=secret#frag",
            "http.status_code": 503,
        },
        status_code=StatusCode.ERROR,
    )
    assert op_and_description(span) == ("http.client", "GET https://api.example.com/v1/items")
    assert status(span) == "unavailable"
    assert origin(span) == "auto.otel.requests"


def test_http_client_new_semconv_other_method(provider: Any) -> None:
    span = _finish(
        provider,
        "HTTP",
        scope="opentelemetry.instrumentation.httpx",
        kind=SpanKind.CLIENT,
        attributes={
            "http.request.method": "_OTHER",
            "http.request.method_original": "PURGE",
            "url.full": "http://cache.local:8080/obj",
            "http.response.status_code": 200,
        },
    )
    assert op_and_description(span) == ("http.client", "PURGE http://cache.local:8080/obj")
    assert status(span) == "ok"


def test_http_client_from_old_parts_without_url(provider: Any) -> None:
    span = _finish(
        provider,
        "GET",
        kind=SpanKind.CLIENT,
        attributes={
            "http.method": "GET",
            "http.scheme": "https",
            "net.peer.name": "example.com",
            "net.peer.port": 8443,
            "http.target": "/x?y=1",
        },
    )
    assert op_and_description(span) == ("http.client", "GET https://example.com:8443/x")


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (
            {"db.system": "postgresql", "db.statement": "SELECT * FROM t WHERE id = %s"},
            ("db", "SELECT * FROM t WHERE id = %s"),
        ),
        (
            {"db.system.name": "sqlite", "db.query.text": "select 1"},
            ("db", "select 1"),
        ),
        ({"db.system.name": "mysql", "db.query.summary": "SELECT users"}, ("db", "SELECT users")),
        ({"db.system": "redis", "db.statement": "GET ?"}, ("db.redis", "GET ?")),
        ({"db.system": "mongodb"}, ("db", "find")),
    ],
)
def test_db_spans(provider: Any, attributes: dict[str, str], expected: tuple[str, str]) -> None:
    span = _finish(provider, "find", kind=SpanKind.CLIENT, attributes=attributes)
    assert op_and_description(span) == expected
    assert "db.system" in data(span)  # Sentry's query insights read the old key


def test_rpc_span_with_grpc_status(provider: Any) -> None:
    span = _finish(
        provider,
        "shop.Cart/Get",
        scope="opentelemetry.instrumentation.grpc",
        kind=SpanKind.CLIENT,
        attributes={"rpc.system": "grpc", "rpc.service": "shop.Cart", "rpc.grpc.status_code": 5},
        status_code=StatusCode.ERROR,
    )
    assert op_and_description(span) == ("rpc", "shop.Cart/Get")
    assert status(span) == "not_found"


@pytest.mark.parametrize(
    ("kind", "attributes", "op"),
    [
        (SpanKind.PRODUCER, {"messaging.operation.type": "send"}, "queue.publish"),
        (SpanKind.PRODUCER, {"messaging.operation": "publish"}, "queue.publish"),
        (SpanKind.CONSUMER, {"messaging.operation": "process"}, "queue.process"),
        (SpanKind.CONSUMER, {"messaging.operation.type": "receive"}, "queue.receive"),
        (SpanKind.CONSUMER, {}, "queue.process"),
    ],
)
def test_messaging_ops(provider: Any, kind: SpanKind, attributes: dict[str, str], op: str) -> None:
    span = _finish(
        provider,
        "orders publish",
        kind=kind,
        attributes={"messaging.system": "rabbitmq", **attributes},
    )
    assert op_and_description(span) == (op, "orders publish")


def test_plain_span_falls_back_to_its_name(provider: Any) -> None:
    span = _finish(provider, "compute", scope="myapp")
    assert op_and_description(span) == (None, "compute")
    assert transaction_name_and_source(span) == ("compute", "custom")
    assert origin(span) == "manual"
    assert status(span) is None  # nothing set: no status, as sentry_sdk sends
    assert "op" not in to_transaction_span(span)
    assert "status" not in to_transaction_span(span)


def test_explicit_sentry_attributes_win(provider: Any) -> None:
    span = _finish(
        provider,
        "checkout",
        scope="scopetel",
        kind=SpanKind.SERVER,
        attributes={
            "http.method": "POST",
            "http.route": "/checkout",
            "http.status_code": 500,
            attrs.OP: "function",
            attrs.DESCRIPTION: "do checkout",
            attrs.ORIGIN: "auto.function.custom",
            attrs.STATUS: "aborted",
            attrs.SOURCE: "task",
            attrs.SAMPLE_RATE: 0.5,
            attrs.TAG_PREFIX + "plan": "pro",
            attrs.MEASUREMENT_PREFIX + "items": 3,
            attrs.MEASUREMENT_UNIT_PREFIX + "items": "none",
            attrs.MEASUREMENT_PREFIX + "ttfb": 12.5,
        },
    )
    assert op_and_description(span) == ("function", "do checkout")
    assert origin(span) == "auto.function.custom"
    assert status(span) == "aborted"
    assert transaction_name_and_source(span) == ("checkout", "task")
    assert tags(span) == {"plan": "pro"}
    assert measurements(span) == {
        "items": {"value": 3, "unit": "none"},
        "ttfb": {"value": 12.5, "unit": ""},  # none given: "" as sentry_sdk sends it
    }
    assert not [key for key in data(span) if key.startswith("sentry.")]
    assert to_trace_context(span)["description"] == "do checkout"


def test_unknown_explicit_status_is_ignored(provider: Any) -> None:
    span = _finish(provider, "x", attributes={attrs.STATUS: "bogus"}, status_code=StatusCode.ERROR)
    assert status(span) == "internal_error"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (200, "ok"),
        (302, "ok"),
        (400, "invalid_argument"),
        (401, "unauthenticated"),
        (403, "permission_denied"),
        (404, "not_found"),
        (409, "already_exists"),
        (418, "invalid_argument"),
        (429, "resource_exhausted"),
        (499, "cancelled"),
        (500, "internal_error"),
        (501, "unimplemented"),
        (502, "internal_error"),
        (503, "unavailable"),
        (504, "deadline_exceeded"),
    ],
)
def test_http_status_table(code: int, expected: str) -> None:
    assert status_for_http_code(code) == expected


def test_otel_status_rules() -> None:
    assert infer_status(StatusCode.ERROR, {}, None) == "internal_error"
    assert infer_status(StatusCode.ERROR, {"http.status_code": 200}, None) == "internal_error"
    assert infer_status(StatusCode.OK, {"http.status_code": 500}, None) == "ok"
    assert infer_status(StatusCode.UNSET, {}, None) is None
    assert infer_status(StatusCode.UNSET, {"http.response.status_code": "429"}, None) == (
        "resource_exhausted"
    )
    assert infer_status(StatusCode.ERROR, {"rpc.response.status_code": "UNAVAILABLE"}, None) == (
        "unavailable"
    )
    assert infer_status(StatusCode.ERROR, {}, "ok") == "ok"


def test_scrub_url_survives_garbage() -> None:
    assert scrub_url("http://[::1") == "http://[::1"
    assert scrub_url("https://a:b@h/p?q#f") == "https://h/p"


def test_odd_attribute_values_stay_json_safe(provider: Any) -> None:
    span = _finish(
        provider,
        "odd",
        kind=SpanKind.SERVER,
        attributes={
            "http.method": "GET",
            "http.status_code": "abc",
            "http.route": "",
            "url.full": "http://[::1",
            "ratio": math.nan,
            "huge": 2**70,
            "list": (1.5, math.inf),
            attrs.TAG_PREFIX + "multi": ("a", "b"),
            attrs.TAG_PREFIX + "long": "x\n" * 200,
            attrs.MEASUREMENT_PREFIX + "bad": "12",
            attrs.MEASUREMENT_PREFIX + "flag": True,
            attrs.OP: 5,
        },
    )
    payloads = [to_transaction_span(span), to_trace_context(span), to_span_v2(span, 1, "n")]
    json.dumps(payloads, allow_nan=False)
    assert tags(span)["multi"] == "['a', 'b']"
    assert len(tags(span)["long"]) == 200
    assert measurements(span) == {}
    assert status(span) is None  # "abc" is no status code
    assert transaction_name_and_source(span) == ("odd", "custom")


def test_transaction_span_matches_classic_shape(provider: Any) -> None:
    tracer_provider, capture = provider
    tracer = tracer_provider.get_tracer("scopetel")
    with tracer.start_as_current_span("root"):
        with tracer.start_as_current_span(
            "select 1", attributes={attrs.OP: "db", "db.system": "sqlite"}
        ):
            pass
    child, root = capture.spans
    entry = to_transaction_span(child)
    assert entry["parent_span_id"] == f"{root.span_id:016x}"
    assert entry["trace_id"] == f"{root.trace_id:032x}"
    assert entry["same_process_as_parent"] is True
    assert entry["op"] == "db"
    assert entry["description"] == "select 1"
    assert entry["data"] == {"db.system": "sqlite"}
    assert entry["origin"] == "manual"
    assert "status" not in entry  # as in the reference: sentry_sdk sets none unless asked
    assert entry["start_timestamp"] <= entry["timestamp"]
    assert to_trace_context(root)["parent_span_id"] is None


def _stream_sample_items() -> list[dict[str, Any]]:
    lines = STREAM_SAMPLE.read_text().splitlines()
    payload: dict[str, Any] = json.loads(lines[2])
    items: list[dict[str, Any]] = payload["items"]
    return items


def test_span_v2_matches_stream_sample(provider: Any) -> None:
    tracer_provider, capture = provider
    tracer = tracer_provider.get_tracer("scopetel")
    with tracer.start_as_current_span("stream-root", attributes={attrs.OP: "task"}):
        with tracer.start_as_current_span(
            "stream-child", attributes={attrs.OP: "db", "n": 3, "ok": True, "r": 0.5}
        ) as child:
            child.set_status(StatusCode.ERROR)
    child_span, root = capture.spans
    name, _ = transaction_name_and_source(root)
    items = [to_span_v2(child_span, root.span_id, name), to_span_v2(root, root.span_id, name)]
    sample_child, sample_root = _stream_sample_items()
    for ours, theirs in zip(items, (sample_child, sample_root), strict=True):
        assert set(ours) == set(theirs)
        for key in ("sentry.op", "sentry.origin", "sentry.segment.id", "sentry.segment.name"):
            assert ours["attributes"][key]["type"] == theirs["attributes"][key]["type"]
    ours_child, ours_root = items
    assert ours_child["status"] == "error"
    assert ours_child["is_segment"] is False
    assert ours_child["name"] == "stream-child"
    assert ours_child["attributes"]["n"] == {"value": 3, "type": "integer"}
    assert ours_child["attributes"]["ok"] == {"value": True, "type": "boolean"}
    assert ours_child["attributes"]["r"] == {"value": 0.5, "type": "double"}
    assert ours_child["attributes"]["sentry.segment.id"]["value"] == f"{root.span_id:016x}"
    assert ours_root["is_segment"] is True
    assert ours_root["status"] == "ok"
    assert ours_root["attributes"]["sentry.segment.name.source"]["value"] == "custom"
    assert "parent_span_id" not in ours_root


def test_contrib_http_transaction_is_valid_for_relay(provider: Any) -> None:
    tracer_provider, capture = provider
    server = tracer_provider.get_tracer("opentelemetry.instrumentation.wsgi")
    client = tracer_provider.get_tracer("opentelemetry.instrumentation.requests")
    db = tracer_provider.get_tracer("opentelemetry.instrumentation.psycopg2")
    with server.start_as_current_span(
        "GET /users/{id}",
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": "GET",
            "http.route": "/users/{id}",
            "url.path": "/users/7",
            "http.response.status_code": 200,
            attrs.TAG_PREFIX + "tenant": "acme",
            attrs.MEASUREMENT_PREFIX + "queue.wait": 3.25,
            attrs.MEASUREMENT_UNIT_PREFIX + "queue.wait": "millisecond",
        },
    ):
        with db.start_as_current_span(
            "SELECT",
            kind=SpanKind.CLIENT,
            attributes={"db.system": "postgresql", "db.statement": "SELECT 1"},
        ):
            pass
        with client.start_as_current_span(
            "GET",
            kind=SpanKind.CLIENT,
            attributes={
                "http.method": "GET",
                "http.url": "https://x.test/a?b=c",
                "http.status_code": 502,
            },
        ) as span:
            span.set_status(StatusCode.ERROR)
    *children, root = capture.spans
    name, source = transaction_name_and_source(root)
    event = {
        "type": "transaction",
        "event_id": uuid.uuid4().hex,
        "transaction": name,
        "transaction_info": {"source": source},
        "start_timestamp": root.start_ns / 1e9,
        "timestamp": root.end_ns / 1e9,
        "contexts": {"trace": to_trace_context(root)},
        "spans": [to_transaction_span(span) for span in children],
        "measurements": measurements(root),
        "tags": tags(root),
        "platform": "python",
    }
    normalized = assert_valid_event(json.loads(json.dumps(event, allow_nan=False)))
    assert normalized["transaction"] == "GET /users/{id}"
    assert normalized["contexts"]["trace"]["op"] == "http.server"
    assert [span["op"] for span in normalized["spans"]] == ["db", "http.client"]
    assert normalized["spans"][1]["status"] == "internal_error"


class _Ended(SpanProcessor):
    def __init__(self) -> None:
        self.spans: list[Any] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)


def test_op_only_api_spans_map_as_the_general_rules_do() -> None:
    """The shortcut for ``start_span(op=, name=)`` spans nothing wrote to gives the same
    entry as the general mapping; any write (data, status) leaves the shortcut."""
    from opentelemetry import trace

    from scopetel._pipeline import mapping, span_entries
    from scopetel._trace_sdk.provider import LeanTracerProvider
    from scopetel._trace_sdk.span import SharedAttributes

    ended = _Ended()
    lean = LeanTracerProvider()
    lean.add_span_processor(ended)
    tracer = lean.get_tracer(mapping.SCOPETEL_TRACER)
    shared = SharedAttributes({attrs.OP: "db"})
    with tracer.start_as_current_span("root"):
        tracer.start_span("query", attributes=shared).end()
        tracer.start_span("db", attributes=shared).end()  # named by its op
        written = tracer.start_span("with data", attributes=shared)
        written.set_attribute("rows", 3)
        written.end()
        failed = tracer.start_span("failed", attributes=shared)
        failed.set_status(Status(StatusCode.ERROR))
        failed.end()
        ok = tracer.start_span("ok", attributes=shared)
        ok.set_status(Status(StatusCode.OK))
        ok.end()
    shortcut = [span for span in ended.spans if type(span.attributes) is SharedAttributes]
    assert [span.name for span in shortcut] == ["query", "db", "failed", "ok"]
    for span in ended.spans:
        assert span_entries.to_transaction_span(span) == span_entries._general_span(span), span.name
    entries = [span_entries.to_transaction_span(s) for s in shortcut[:2]]
    assert [entry["description"] for entry in entries] == ["query", None]
    lean.shutdown()
    assert trace.get_tracer_provider() is not lean


def test_tags_and_measurements_are_found_among_keys_seen_before(
    provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys known to name no tag or measurement let a span skip both loops; a span with
    the same keys plus one tag or measurement still gets it, also once the set of known
    keys has been cleared for being full."""
    from scopetel._pipeline import mapping

    plain = {"http.route": "/orders", "rows": 3}
    special = {
        **plain,
        attrs.TAG_PREFIX + "tenant": "acme",
        attrs.MEASUREMENT_PREFIX + "items": 7,
    }
    for _ in range(2):
        seen = _finish(provider, "seen", attributes=plain)
        assert tags(seen) == {} and measurements(seen) == {}
        both = _finish(provider, "both", attributes=special)
        assert tags(both) == {"tenant": "acme"}
        assert measurements(both) == {"items": {"value": 7, "unit": ""}}
        monkeypatch.setattr(mapping, "_MOST_DATA_KEYS", len(mapping._PLAIN_KEYS))
