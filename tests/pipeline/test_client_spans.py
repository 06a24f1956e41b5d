"""Client spans of other instrumentations as sentry_sdk shows them: HTTP client data and
tags, status codes on transactions, redis keys in descriptions, one span per SQL
statement recorded by two layers (real contrib instrumentations where they exist)."""

from typing import Any

import pytest
import sqlalchemy
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util.types import Attributes, AttributeValue

import scopetel
from scopetel._semconv.http_calls import split_url
from scopetel.testing import capture_envelopes
from tests.support.relay import assert_valid_event


def _client_span(scope: str, attributes: Attributes, status: StatusCode | None = None) -> None:
    with trace.get_tracer(scope).start_as_current_span(
        "call", kind=SpanKind.CLIENT, attributes=attributes
    ) as span:
        if status is not None:
            span.set_status(status)


def _spans_of(call: Any) -> list[dict[str, Any]]:
    """The spans of one transaction around ``call()``, checked by Relay's normalizer."""
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with scopetel.start_transaction(name="calls", op="task"):
            call()
    (transaction,) = transport.transactions()
    assert_valid_event(transaction)
    spans: list[dict[str, Any]] = transaction["spans"]
    return spans


def test_http_client_data_has_sentry_sdks_keys_and_filtered_query() -> None:
    url = "https://user:pw@api.example.com/v1/items?page=2&token=s3cr3t-value#top"
    (span,) = _spans_of(
        lambda: _client_span(
            "opentelemetry.instrumentation.requests",
            {"http.method": "GET", "http.url": url, "http.status_code": 404},
        )
    )
    assert span["description"] == "GET https://api.example.com/v1/items"
    assert span["data"] == {
        "http.method": "GET",
        "url": "https://api.example.com/v1/items",
        "http.query": "page=2&token=[Filtered]",
        "http.fragment": "top",
        "http.response.status_code": 404,
        "reason": "Not Found",
    }
    assert span["tags"] == {"status": "not_found", "http.status_code": "404"}


def test_http_client_data_from_stable_conventions_keeps_the_other_attributes() -> None:
    attributes: dict[str, AttributeValue] = {
        "http.request.method": "_OTHER",
        "http.request.method_original": "PURGE",
        "url.full": "http://cache.local:8080/obj",
        "server.address": "cache.local",
        "http.response.status_code": 599,
    }
    (span,) = _spans_of(lambda: _client_span("opentelemetry.instrumentation.httpx", attributes))
    assert span["data"] == {
        "http.method": "PURGE",
        "http.request.method_original": "PURGE",
        "url": "http://cache.local:8080/obj",
        "http.query": "",
        "http.fragment": "",
        "server.address": "cache.local",
        "http.response.status_code": 599,  # no standard reason phrase: no reason
    }


def test_http_client_data_from_url_parts() -> None:
    attributes: dict[str, AttributeValue] = {
        "http.method": "GET",
        "http.scheme": "https",
        "net.peer.name": "example.com",
        "net.peer.port": 8443,
        "http.target": "/x?y=1",
    }
    (span,) = _spans_of(lambda: _client_span("some.library", attributes))
    assert (span["data"]["url"], span["data"]["http.query"]) == ("https://example.com:8443/x", "")


@pytest.mark.parametrize(
    ("url", "parts"),
    [
        ("http://h/p?q=1#f", ("http://h/p", "q=1", "f")),
        ("http://a:b@h:81/", ("http://h:81/", "", "")),
        ("http://[::1/p?q#f", ("http://[::1/p", "q", "f")),  # invalid host: split by hand
    ],
)
def test_split_url(url: str, parts: tuple[str, str, str]) -> None:
    assert split_url(url) == parts


def test_a_transaction_with_an_http_status_has_its_tag_and_response_context() -> None:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with trace.get_tracer("opentelemetry.instrumentation.wsgi").start_as_current_span(
            "GET /x",
            kind=SpanKind.SERVER,
            attributes={"http.method": "GET", "http.target": "/x", "http.status_code": 503},
        ):
            pass
    (transaction,) = transport.transactions()
    assert transaction["tags"]["http.status_code"] == "503"
    assert transaction["contexts"]["response"] == {"status_code": 503}
    assert transaction["contexts"]["trace"]["data"]["http.response.status_code"] == 503
    assert "http.status_code" not in transaction["contexts"]["trace"]["data"]
    assert_valid_event(transaction)


@pytest.mark.parametrize(
    ("attributes", "description"),
    [
        (
            {"db.statement": "SET ? ? ? ?", "db.redis.args_length": 5, "db.redis.key": "post:1"},
            "SET 'post:1' [Filtered] [Filtered] [Filtered]",
        ),
        ({"db.statement": "GET ?", "db.redis.args_length": 2, "db.redis.key": "a"}, "GET 'a'"),
        (
            {"db.statement": "DEL" + " ?" * 30, "db.redis.args_length": 31, "db.redis.key": "k"},
            "DEL 'k'" + " [Filtered]" * 10,  # sentry_sdk shows at most 11 arguments
        ),
        ({"db.statement": "AUTH ? ?", "db.redis.args_length": 3}, "AUTH ? ?"),  # no key kept
    ],
)
def test_redis_descriptions_show_the_key_not_the_values(
    attributes: dict[str, Any], description: str
) -> None:
    (span,) = _spans_of(
        lambda: _client_span(
            "opentelemetry.instrumentation.redis", {"db.system": "redis", **attributes}
        )
    )
    assert (span["op"], span["description"]) == ("db.redis", description)


def test_sqlalchemy_over_sqlite3_makes_one_span_per_statement(sql_layers: None) -> None:
    engine = sqlalchemy.create_engine("sqlite:///:memory:")

    def query() -> None:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("CREATE TABLE post (id INTEGER)"))
            connection.execute(sqlalchemy.text("SELECT id FROM post"))
            connection.execute(sqlalchemy.text("SELECT id FROM post"))

    spans = _spans_of(query)
    statements = [
        (span["description"], span["origin"])
        for span in spans
        if span["op"] == "db" and span["description"].startswith(("CREATE", "SELECT"))
    ]
    assert statements == [
        ("CREATE TABLE post (id INTEGER)", "auto.otel.sqlalchemy"),
        ("SELECT id FROM post", "auto.otel.sqlalchemy"),
        ("SELECT id FROM post", "auto.otel.sqlalchemy"),  # run twice: two spans
    ]


def _timed(scope: str, name: str, start: int, end: int, parent: trace.Span) -> trace.Span:
    span = trace.get_tracer(scope).start_span(
        name,
        context=trace.set_span_in_context(parent),
        kind=SpanKind.CLIENT,
        attributes={"db.system": "postgresql", "db.statement": "SELECT 1"},
        start_time=start,
    )
    span.end(end)
    return span


def test_layers_merge_only_across_instrumentations_and_keep_children() -> None:
    def calls() -> None:
        parent = trace.get_current_span()
        base = parent.start_time  # type: ignore[attr-defined]
        _timed("opentelemetry.instrumentation.sqlalchemy", "q", base + 10, base + 90, parent)
        inner = trace.get_tracer("opentelemetry.instrumentation.psycopg").start_span(
            "SELECT",
            context=trace.set_span_in_context(parent),
            kind=SpanKind.CLIENT,
            attributes={"db.system": "postgresql", "db.statement": "SELECT 1"},
            start_time=base + 20,
        )
        trace.get_tracer("app").start_span(
            "inside the driver", context=trace.set_span_in_context(inner), start_time=base + 30
        ).end(base + 40)
        inner.end(base + 80)
        # one library, two concurrent identical statements: both are real
        _timed("opentelemetry.instrumentation.asyncpg", "a", base + 100, base + 190, parent)
        _timed("opentelemetry.instrumentation.asyncpg", "b", base + 110, base + 180, parent)

    spans = _spans_of(calls)
    by_name = {span["origin"] + " " + (span["description"] or ""): span for span in spans}
    assert sorted(span["origin"] for span in spans if span.get("op") == "db") == [
        "auto.otel.asyncpg",
        "auto.otel.asyncpg",
        "auto.otel.sqlalchemy",
    ]
    kept = next(span for span in spans if span["origin"] == "auto.otel.sqlalchemy")
    assert by_name["manual inside the driver"]["parent_span_id"] == kept["span_id"]
