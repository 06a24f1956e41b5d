"""The FastAPI service under ``opentelemetry-instrument uvicorn``, calling the blog: what
reaches Sentry (issue 13's "Done when"), as launched (scopetel's ASGI layer replaces
contrib's FastAPI instrumentation) and instrumenting itself with contrib's
``FastAPIInstrumentor.instrument_app`` (code written for plain OpenTelemetry)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from scopetel._semconv.personal_data import ADDRESS_ATTRIBUTES
from tests.frameworks import launch
from tests.frameworks.conftest import Launched, start_up_transactions
from tests.frameworks.received import (
    Payload,
    assert_all_valid,
    events_with,
    in_trace,
    settle,
    trace_of,
    transactions_where,
)
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import SentryReceiver

CONTRIB = ("instrument_app", "default")


@pytest.fixture(scope="module", params=CONTRIB)
def service(
    request: pytest.FixtureRequest,
    blog: Launched,
    otlp: OtlpHttpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Launched]:
    logs = tmp_path_factory.mktemp("service")
    extra = {"BLOG_URL": blog.url}
    if request.param == "instrument_app":
        extra["SERVICE_INSTRUMENT_APP"] = "1"
    with SentryReceiver() as sentry:
        env = launch.SCOPETEL.environment(sentry.dsn, otlp.url, **extra)
        with launch.service_server(launch.SCOPETEL, env, logs, request.param) as server:
            app = Launched(server, sentry)
            app.start_up = start_up_transactions(app, "/items/1")
            yield app
        assert sentry.errors == []


def _get(service: Launched, path: str) -> int:
    return requests.get(f"{service.url}{path}", timeout=10).status_code


def _by_path(path: str) -> Callable[[Payload], bool]:
    return lambda t: str((t.get("request") or {}).get("url", "")).endswith(path)


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
def test_startup_sql_sends_no_transaction(service: Launched) -> None:
    assert [t["transaction"] for t in service.start_up] == []


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
def test_unhandled_exception_makes_one_transaction_with_its_status(service: Launched) -> None:
    """No stray transactions from contrib's spans ended after the request's, whatever the
    order, and the request's transaction keeps its 500."""
    assert _get(service, "/fail/once") == 500
    (event,) = events_with(service.sentry, "service failed once")
    assert event["exception"]["values"][-1]["mechanism"]["handled"] is False
    assert event["tags"]["service.label"] == "once"
    transactions = in_trace(service.sentry, trace_of(event)["trace_id"])
    assert len(transactions) == 1, [t["transaction"] for t in transactions]
    trace = trace_of(transactions[0])
    assert trace["status"] == "internal_error"
    assert trace["data"]["http.response.status_code"] == 500


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
def test_http_exception_500_is_reported(service: Launched) -> None:
    assert _get(service, "/http500/reported") == 500
    settle(service.sentry, _by_path("/http500/reported"))
    (event,) = [e for e in service.sentry.events() if "upstream down reported" in str(e)]
    assert event["exception"]["values"][-1]["type"] == "HTTPException"


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
def test_http_exception_404_is_not_an_error(service: Launched) -> None:
    assert _get(service, "/http404/quiet") == 404
    (transaction,) = transactions_where(service.sentry, _by_path("/http404/quiet"))
    assert trace_of(transaction)["status"] == "not_found"
    assert [e for e in service.sentry.events() if "quiet" in str(e)] == []


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
def test_streamed_response_spans_have_ops(service: Launched) -> None:
    assert _get(service, "/stream/5") == 200
    (transaction,) = transactions_where(service.sentry, _by_path("/stream/5"))
    assert trace_of(transaction)["op"] == "http.server"
    assert [s["description"] for s in transaction["spans"] if not s.get("op")] == []


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
@pytest.mark.parametrize("path", ["/blog", "/blog-sync"])
def test_trace_continues_into_the_blog(service: Launched, blog: Launched, path: str) -> None:
    """httpx (async) and requests (in FastAPI's thread pool) carry the trace to the blog."""
    assert _get(service, f"{path}/1") == 200
    (caller,) = transactions_where(service.sentry, _by_path(f"{path}/1"))
    clients = [s for s in caller["spans"] if s.get("op") == "http.client"]
    assert len(clients) == 1
    (callee,) = in_trace(blog.sentry, trace_of(caller)["trace_id"])
    assert trace_of(callee)["parent_span_id"] == clients[0]["span_id"]


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
def test_everything_sent_is_relay_valid(service: Launched) -> None:
    assert _get(service, "/fail/relay") == 500
    events_with(service.sentry, "service failed relay")
    settle(service.sentry, _by_path("/fail/relay"))
    assert_all_valid(service.sentry)


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
def test_json_bodies_reach_transactions(service: Launched) -> None:
    body = {"name": "pen", "price": 1.5, "tags": ["blue"]}
    requests.post(f"{service.url}/items", json=body, timeout=10).raise_for_status()
    (transaction,) = transactions_where(
        service.sentry, lambda t: (t.get("request") or {}).get("method") == "POST"
    )
    assert transaction["request"]["data"] == body


@pytest.mark.parametrize("service", CONTRIB, indirect=True)
def test_one_server_span_per_request_and_fastapi_telemetry_off(
    service: Launched, otlp: OtlpHttpReceiver, request: pytest.FixtureRequest
) -> None:
    """As launched, one span per request reaches OTLP: scopetel's SERVER span with the
    route (contrib's FastAPI instrumentation replaced; FastAPI's own telemetry, which
    starts without contrib's middleware, told the request is handled). An application
    that instruments itself with contrib keeps contrib's server span, adopted."""
    assert _get(service, "/items/7?q=one") == 200
    (transaction,) = transactions_where(service.sentry, _by_path("/items/7"))
    assert [s.get("op") for s in transaction["spans"]] == []
    trace_id = trace_of(transaction)["trace_id"]
    otlp.wait_for(lambda: any(s.trace_id == trace_id and s.kind == 2 for s in otlp.spans()))
    in_request = [s for s in otlp.spans() if s.trace_id == trace_id]
    (server,) = [s for s in in_request if s.kind == 2]  # SERVER
    assert server.attributes["http.route"] == "/items/{item_id}"
    # no client address without send_default_pii (the server's own address stays)
    addresses = {server.attributes[key] for key in ADDRESS_ATTRIBUTES & server.attributes.keys()}
    assert addresses <= {"[Filtered]"}, server.attributes
    assert [s for s in in_request if s.scope == "fastapi"] == []  # FastAPI's own
    if request.node.callspec.params["service"] == "default":
        assert trace_of(transaction)["origin"] == "auto.http.starlette"
        assert {s.scope for s in in_request} == {"scopetel_instrumentation_asgi"}
    else:
        assert trace_of(transaction)["origin"] == "auto.otel.fastapi"
        assert server.scope == "opentelemetry.instrumentation.fastapi"
