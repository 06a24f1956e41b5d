"""Transaction span entries: remembered inferences give exactly the general rules' entries."""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.trace import Link, SpanKind, Status, StatusCode, Tracer

from scopetel._events.scrubber import Scrub, _each_item, _fields, _span_data, _value
from scopetel._pipeline import span_entries
from scopetel._pipeline.records import CompactSpan
from scopetel._semconv import sentry_attributes as attrs
from scopetel._trace_sdk.provider import LeanTracerProvider
from scopetel._trace_sdk.span import SharedAttributes


class _Records(SpanProcessor):
    """The pipeline's records of ended spans (a lean span is its own record)."""

    def __init__(self) -> None:
        self.spans: list[CompactSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        record = CompactSpan.if_sampled(span)
        assert record is not None
        self.spans.append(record)


Workload = Callable[[Callable[[str], Tracer]], None]


def _workload(tracer: Callable[[str], Tracer]) -> None:
    """Spans of every kind the mapping tells apart, each shape twice or more."""
    django = tracer("opentelemetry.instrumentation.django")
    requests = tracer("opentelemetry.instrumentation.requests")
    sqlalchemy = tracer("opentelemetry.instrumentation.sqlalchemy")
    own = tracer("scopetel")
    with django.start_as_current_span("GET /items/<int:pk>", kind=SpanKind.SERVER) as root:
        root.set_attributes({"http.method": "GET", "http.route": "/items/<int:pk>"})
        for round_ in range(3):
            shapes: list[tuple[Tracer, str, SpanKind, dict[str, Any]]] = [
                (
                    sqlalchemy,
                    "SELECT",
                    SpanKind.CLIENT,
                    {
                        "db.system": "sqlite",
                        "db.statement": "SELECT 1",
                        "db.name": ":memory:",
                        "net.peer.port": 5432,
                    },
                ),
                (
                    tracer("opentelemetry.instrumentation.redis"),
                    "GET",
                    SpanKind.CLIENT,
                    {"db.system": "redis", "db.statement": "GET key", "db.redis.database_index": 0},
                ),
                (
                    requests,
                    "GET",
                    SpanKind.CLIENT,
                    {
                        "http.method": "GET",
                        "http.url": "https://u:pw@api.example.com/v1?token=abc#top",
                        "http.status_code": 404,
                    },
                ),
                (
                    requests,
                    "POST",
                    SpanKind.CLIENT,
                    {
                        "http.request.method": "_OTHER",
                        "http.request.method_original": "PURGE",
                        "server.address": "cache",
                        "server.port": 8080,
                        "url.path": "/a",
                        "http.response.status_code": 200,
                    },
                ),
                (
                    tracer("opentelemetry.instrumentation.grpc"),
                    "/pkg.Svc/Call",
                    SpanKind.CLIENT,
                    {"rpc.system": "grpc", "rpc.service": "pkg.Svc", "rpc.grpc.status_code": 5},
                ),
                (
                    tracer("opentelemetry.instrumentation.celery"),
                    "run/task",
                    SpanKind.PRODUCER,
                    {"messaging.system": "rabbitmq", "messaging.operation": "publish"},
                ),
                (
                    tracer("opentelemetry.instrumentation.kafka"),
                    "topic process",
                    SpanKind.CONSUMER,
                    {"messaging.system": "kafka"},
                ),
                (tracer("fastapi"), "endpoint", SpanKind.INTERNAL, {"code.function.name": "f"}),
                (
                    own,
                    "with data",
                    SpanKind.INTERNAL,
                    {
                        attrs.OP: "task",
                        "rows": 3,
                        attrs.TAG_PREFIX + "tier": "gold",
                        attrs.MEASUREMENT_PREFIX + "n": 2,
                    },
                ),
                (
                    own,
                    "explicit",
                    SpanKind.INTERNAL,
                    {
                        attrs.OP: "db",
                        attrs.DESCRIPTION: "q",
                        attrs.ORIGIN: "auto.db.x",
                        attrs.STATUS: "not_found",
                        "http.response.status_code": 500,
                        attrs.THREAD_ID: 7,
                    },
                ),
                (own, "profiled", SpanKind.INTERNAL, {attrs.PROFILER_ID: "ab" * 16}),
                (
                    django,
                    "typed",
                    SpanKind.INTERNAL,
                    {
                        "flag": True,
                        "count": 1,
                        "ratio": 1.0,
                        "zero": -0.0,
                        "tags": ("a", "b"),
                        "big": 2**70,
                        "nan": float("nan"),
                    },
                ),
                (django, "long", SpanKind.INTERNAL, {"text": "x" * 5000}),
            ]
            for scope_tracer, name, kind, attributes in shapes:
                scope_tracer.start_span(name, kind=kind, attributes=attributes).end()
            flaky = requests.start_span(
                "GET", kind=SpanKind.CLIENT, attributes={"http.method": "GET"}
            )
            if round_ == 1:  # the same span but its status
                flaky.set_status(Status(StatusCode.ERROR))
            flaky.end()
            failed = django.start_span("failed", kind=SpanKind.INTERNAL)
            failed.record_exception(ValueError("boom"))
            failed.set_status(Status(StatusCode.ERROR, "boom"))
            failed.end()
            ok = own.start_span("ok", attributes=SharedAttributes({attrs.OP: "ok"}))
            ok.set_status(Status(StatusCode.OK))
            ok.end()
            linked = django.start_span("linked", links=[Link(root.get_span_context())])
            linked.add_event("step", {"n": 1})
            linked.end()
            own.start_span("render", attributes=SharedAttributes({attrs.OP: "render"})).end()


@pytest.fixture(params=["lean", "sdk"])
def records(request: pytest.FixtureRequest) -> Iterator[list[CompactSpan]]:
    """The workload's spans, as scopetel's lean provider and the OTel SDK's record them."""
    provider = LeanTracerProvider() if request.param == "lean" else TracerProvider()
    ended = _Records()
    provider.add_span_processor(ended)
    _workload(provider.get_tracer)
    yield ended.spans
    provider.shutdown()


def test_remembered_entries_equal_the_general_rules(records: list[CompactSpan]) -> None:
    span_entries._remembered.clear()
    entries = [span_entries.to_transaction_span(span) for span in records]
    assert len(span_entries._remembered) >= 10  # the shapes seen before were remembered
    for span, entry in zip(records, entries, strict=True):
        general = span_entries._general_span(span)
        assert json.dumps(entry) == json.dumps(general), span.name  # types and key order too
    descriptions = {entry["description"] for entry in entries}
    assert {"SELECT 1", "GET https://api.example.com/v1", "PURGE http://cache:8080/a"} <= (
        descriptions
    )


def test_entries_share_nothing_a_hook_could_change(records: list[CompactSpan]) -> None:
    span_entries._remembered.clear()
    queries = [span for span in records if span.name == "SELECT"]
    first = span_entries.to_transaction_span(queries[0])
    first["data"]["db.statement"] = "changed by before_send_transaction"
    first["tags"]["added"] = "yes"
    for span in queries[1:]:
        entry = span_entries.to_transaction_span(span)
        assert entry["data"]["db.statement"] == "SELECT 1"
        assert entry["tags"] == {}
        assert entry == span_entries._general_span(span)


def test_equal_values_of_other_types_stay_apart() -> None:
    provider = LeanTracerProvider()
    ended = _Records()
    provider.add_span_processor(ended)
    tracer = provider.get_tracer("opentelemetry.instrumentation.django")
    for value in (1, True, 1.0, 0.0, -0.0, "1"):
        tracer.start_span("same", attributes={"value": value}).end()
    provider.shutdown()
    span_entries._remembered.clear()
    sent = [json.dumps(span_entries.to_transaction_span(s)["data"]) for s in ended.spans]
    assert sent == [
        '{"value": 1}',
        '{"value": true}',
        '{"value": 1.0}',
        '{"value": 0.0}',
        '{"value": -0.0}',
        '{"value": "1"}',
    ]


def test_the_memo_is_bounded() -> None:
    provider = LeanTracerProvider()
    ended = _Records()
    provider.add_span_processor(ended)
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    for index in range(span_entries.MAX_REMEMBERED + 50):
        attributes = {"db.system": "sqlite", "db.statement": f"SELECT {index}"}
        tracer.start_span("q", kind=SpanKind.CLIENT, attributes=attributes).end()
    provider.shutdown()
    span_entries._remembered.clear()
    for span in ended.spans:
        assert span_entries.to_transaction_span(span) == span_entries._general_span(span)
        assert len(span_entries._remembered) <= span_entries.MAX_REMEMBERED


class _Entry(dict[str, Any]):
    pass


@pytest.mark.parametrize("pii", [False, True])
def test_span_data_is_scrubbed_as_every_field_is(pii: bool) -> None:
    """The scrubber's walk over span data does what its general field steps do."""
    spans: list[Any] = [
        {"op": "db", "data": {"db.statement": "SELECT 1", "rows": 2}},
        {"op": "http", "data": {"url": "https://x/?token=abc", "client.address": "1.2.3.4"}},
        {"data": {"password": "hunter2", "nested": {"api_key": "k", "list": ["a", {"b": 1}]}}},
        {"data": {}},
        {"data": "text with password=hunter2"},
        {"no": "data"},
        _Entry(data={"session": "s"}),
        "not a dict",
    ]
    general = _each_item(_fields(data=_value))
    for given in (spans, spans[:1], spans[3:4], [], "not a list"):
        expected = general(given, Scrub(pii))
        found = _span_data(given, Scrub(pii))
        assert found == expected
        assert (found is given) == (expected is given)
