"""Breadcrumbs from finished client spans: an error shows the HTTP requests, SQL
statements and redis commands made before it, in its own request only (real contrib
instrumentations, a loopback HTTP server, sqlite, a real redis-server)."""

import http.server
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor
from opentelemetry.trace import SpanKind

import scopetel
from scopetel.integrations.redis import RedisIntegration
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.redis_server import redis_url  # noqa: F401  (a fixture)
from tests.support.relay import assert_valid_event


@pytest.fixture(autouse=True)
def no_earlier_breadcrumbs() -> None:
    """Calls of earlier tests outside any isolation scope left theirs process-wide."""
    scopetel.get_isolation_scope().clear_breadcrumbs()


class _Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(int(self.path.strip("/").partition("?")[0]))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    """A loopback server answering ``/<status>`` with that status; httpx instrumented."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    HTTPXClientInstrumentor().instrument()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        HTTPXClientInstrumentor().uninstrument()
        server.shutdown()
        thread.join(5)


@pytest.fixture
def sqlite_traced() -> Iterator[None]:
    SQLite3Instrumentor().instrument()
    try:
        yield
    finally:
        SQLite3Instrumentor().uninstrument()


def _crumbs(transport: CapturingTransport, message: str) -> list[dict[str, Any]]:
    (event,) = [e for e in transport.events() if e.get("message") == message]
    assert_valid_event(event)
    values: list[dict[str, Any]] = (event.get("breadcrumbs") or {}).get("values") or []
    return values


def test_http_requests_leave_httplib_breadcrumbs(api: str) -> None:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with scopetel.isolation_scope(), scopetel.start_transaction(name="sync", op="task"):
            httpx.get(f"{api}/200?page=2&token=abcdef123456#part")
            httpx.get(f"{api}/404")
            httpx.get(f"{api}/503")
            scopetel.capture_message("after the calls")
    ok, missing, down = _crumbs(transport, "after the calls")
    assert ok["type"] == "http" and ok["category"] == "httplib" and "level" not in ok
    assert ok["data"] == {
        "http.method": "GET",
        "url": f"{api}/200",
        "http.query": "page=2&token=[Filtered]",
        "http.fragment": "part",
        "http.response.status_code": 200,
        "reason": "OK",
    }
    assert (missing["level"], missing["data"]["reason"]) == ("warning", "Not Found")
    assert (down["level"], down["data"]["http.response.status_code"]) == ("error", 503)


def test_each_isolation_scope_shows_only_its_own_statements(sqlite_traced: None) -> None:
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    both_queried = threading.Barrier(2)

    def job(name: str) -> None:
        with scopetel.isolation_scope(), scopetel.start_transaction(name=name, op="task"):
            connection.cursor().execute(f"SELECT '{name}'")  # (contrib: cursors only)
            both_queried.wait(5)
            scopetel.capture_message(name)

    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        threads = [threading.Thread(target=job, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    for name in ("a", "b"):
        (crumb,) = _crumbs(transport, name)
        assert (crumb["category"], crumb["message"]) == ("query", f"SELECT '{name}'")


def test_two_layers_make_one_query_breadcrumb_per_statement(sql_layers: None) -> None:
    engine = sqlalchemy.create_engine("sqlite:///:memory:")
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with scopetel.isolation_scope(), scopetel.start_transaction(name="q", op="task"):
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT 1"))
                connection.execute(sqlalchemy.text("SELECT 1"))
            scopetel.capture_message("queried")
    messages = [c["message"] for c in _crumbs(transport, "queried") if c["category"] == "query"]
    assert messages.count("SELECT 1") == 2  # run twice, recorded once each


def test_redis_commands_leave_redis_breadcrumbs_with_the_key(redis_url: str) -> None:  # noqa: F811
    with capture_envelopes(
        traces_sample_rate=1.0, default_integrations=False, integrations=[RedisIntegration()]
    ) as transport:
        import redis

        client = redis.Redis.from_url(redis_url)
        with scopetel.isolation_scope(), scopetel.start_transaction(name="cache", op="task"):
            client.set("crumbs:1", "secret-value", ex=60)
            client.get("crumbs:1")
            scopetel.capture_message("cached")
    stored, read = _crumbs(transport, "cached")
    assert (stored["type"], stored["category"]) == ("redis", "redis")
    assert stored["message"] == "SET 'crumbs:1' [Filtered] [Filtered] [Filtered]"
    assert read["data"] == {"redis.command": "GET", "db.operation": "GET", "redis.key": "crumbs:1"}
    assert "secret-value" not in repr(transport.events())


def test_before_breadcrumb_applies_and_other_spans_leave_none(api: str) -> None:
    seen: list[str] = []

    def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
        seen.append(crumb["category"])
        return None if crumb["data"]["http.response.status_code"] == 500 else crumb

    tracer = trace.get_tracer("some.library")
    with capture_envelopes(
        traces_sample_rate=1.0, default_integrations=False, before_breadcrumb=before_breadcrumb
    ) as transport:
        with scopetel.isolation_scope(), scopetel.start_transaction(name="t", op="task"):
            for kind in (SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.PRODUCER):
                with tracer.start_as_current_span("x", kind=kind, attributes={"db.system": "x"}):
                    pass
            httpx.get(f"{api}/500")
            httpx.get(f"{api}/201")
            scopetel.capture_message("done")
    (kept,) = _crumbs(transport, "done")
    assert kept["data"]["http.response.status_code"] == 201
    assert seen == ["httplib", "httplib"]


def test_no_breadcrumbs_when_max_breadcrumbs_is_zero(api: str) -> None:
    with capture_envelopes(
        traces_sample_rate=1.0, default_integrations=False, max_breadcrumbs=0
    ) as transport:
        with scopetel.isolation_scope(), scopetel.start_transaction(name="t", op="task"):
            httpx.get(f"{api}/200")
            scopetel.capture_message("none")
    assert _crumbs(transport, "none") == []
