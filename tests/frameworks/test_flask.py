"""The blog (Flask + SQLAlchemy/sqlite + redis cache) under ``opentelemetry-instrument
gunicorn``, as a user runs it: what reaches Sentry (issue 13's "Done when")."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.frameworks import launch, workloads
from tests.frameworks.conftest import Launched, running_blog
from tests.frameworks.received import (
    assert_all_valid,
    breadcrumbs_text,
    events_with,
    in_trace,
    mechanism,
    message_of,
    settle,
    trace_of,
    transactions_where,
)
from tests.support.otlp_receiver import OtlpHttpReceiver


def _login(blog: Launched, username: str) -> tuple[requests.Session, int]:
    session = workloads.blog_login(blog.url, username)
    return session, workloads.blog_new_post(session, blog.url, f"post of {username}")


def _transaction_for(
    blog: Launched,
    method: str,
    path: str,
    where: Callable[[dict[str, Any]], bool] = lambda request: True,
) -> dict[str, object]:
    """The newest transaction of a request (``where``: its ``request`` data matches too;
    the server sends transactions in batches, so an earlier request's may come last)."""

    def matches(t: dict[str, object]) -> bool:
        request = t.get("request") or {}
        assert isinstance(request, dict)
        return (
            request.get("method") == method
            and str(request.get("url", "")).endswith(path)
            and where(request)
        )

    return transactions_where(blog.sentry, matches)[-1]


def test_startup_sql_sends_no_transaction(blog: Launched) -> None:
    assert [t["transaction"] for t in blog.start_up] == []


def test_startup_sql_still_reaches_otlp(blog: Launched, otlp: OtlpHttpReceiver) -> None:
    """Spans outside any request stay out of Sentry but are still exported."""
    otlp.wait_for(
        lambda: any(
            s.scope.endswith("sqlalchemy") and s.parent_span_id is None and "CREATE" in s.name
            for s in otlp.spans()
        )
    )


def test_transactions_named_by_route(blog: Launched) -> None:
    session, post = _login(blog, "route")
    session.get(f"{blog.url}/{post}", timeout=10).raise_for_status()
    session.post(f"{blog.url}/{post}/update", data={"title": "t"}, timeout=10)
    for method, path, route in (
        ("GET", f"/{post}", "/<int:id>"),
        ("POST", f"/{post}/update", "/<int:id>/update"),
    ):
        transaction = _transaction_for(blog, method, path)
        assert transaction["transaction"] in (route, f"{method} {route}")
        assert transaction["transaction_info"] == {"source": "route"}


def test_unhandled_view_error_is_flask_unhandled(blog: Launched) -> None:
    session, post = _login(blog, "boom")
    response = session.get(f"{blog.url}/{post}/boom", timeout=10)
    assert response.status_code == 500
    (event,) = events_with(blog.sentry, f"boom on post {post}")
    assert (event["tags"]["blog.post"], event["user"]["username"]) == (str(post), "boom")
    (transaction,) = in_trace(blog.sentry, trace_of(event)["trace_id"])
    assert trace_of(transaction)["status"] == "internal_error"
    assert event["transaction"] == transaction["transaction"]
    assert mechanism(event) == {"type": "flask", "handled": False}


def test_unhandled_view_error_is_reported_without_the_logging_instrumentor(
    redis_url: str, otlp: OtlpHttpReceiver, tmp_path: Path
) -> None:
    logging_off = {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "scopetel_logging"}
    with running_blog(redis_url, otlp, tmp_path, **logging_off) as app:
        session = workloads.blog_login(app.url, "nolog")
        post = workloads.blog_new_post(session, app.url, "nolog")
        assert session.get(f"{app.url}/{post}/boom", timeout=10).status_code == 500
        settle(app.sentry, lambda t: str(t.get("request", {}).get("url", "")).endswith("/boom"))
    events = [e for e in app.sentry.events() if f"boom on post {post}" in message_of(e)]
    assert len(events) == 1
    assert mechanism(events[0])["handled"] is False


def test_error_breadcrumbs_show_queries_and_cache_not_startup(blog: Launched) -> None:
    session, post = _login(blog, "crumbs")
    session.get(f"{blog.url}/{post}/boom", timeout=10)
    (event,) = events_with(blog.sentry, f"boom on post {post}")
    crumbs = (event.get("breadcrumbs") or {}).get("values") or []
    assert "Booting worker" not in breadcrumbs_text(event)
    categories = {crumb.get("category") for crumb in crumbs}
    assert {"query", "redis"} <= categories


def test_missing_post_is_not_an_error(blog: Launched) -> None:
    response = requests.get(f"{blog.url}/987654", timeout=10)
    assert response.status_code == 404
    transaction = _transaction_for(blog, "GET", "/987654")
    assert trace_of(transaction)["status"] == "not_found"
    assert [e for e in blog.sentry.events() if "987654" in json.dumps(e)] == []


def test_error_event_keeps_the_session_cookie_out(blog: Launched) -> None:
    """Without send_default_pii the login cookie's value is in no event or transaction."""
    session, post = _login(blog, "cookie")
    cookie = session.cookies["session"]
    session.get(f"{blog.url}/{post}/boom", timeout=10)
    (event,) = events_with(blog.sentry, f"boom on post {post}")
    assert event["request"]["method"] == "GET"
    assert event["request"]["url"].endswith(f"/{post}/boom")
    (transaction,) = in_trace(blog.sentry, trace_of(event)["trace_id"])
    assert cookie not in json.dumps(event) + json.dumps(transaction)


def test_each_sql_statement_is_one_span(blog: Launched) -> None:
    session, _ = _login(blog, "sql")
    session.get(f"{blog.url}/", timeout=10).raise_for_status()
    transaction = _transaction_for(blog, "GET", f"{blog.url}/")
    statements = [  # (connections opened are not statements)
        s["description"]
        for s in transaction["spans"]
        if s.get("op") == "db" and s["description"] != "connect"
    ]
    assert any("FROM post" in statement for statement in statements)
    assert len(statements) == len(set(statements)), statements


def test_redis_spans_show_the_key(blog: Launched) -> None:
    session, post = _login(blog, "redis")
    session.get(f"{blog.url}/{post}", timeout=10).raise_for_status()
    transaction = _transaction_for(blog, "GET", f"/{post}")
    descriptions = [s["description"] for s in transaction["spans"] if s.get("op") == "db.redis"]
    assert any(f"post:{post}" in d and d.startswith("GET") for d in descriptions), descriptions


def test_requests_are_counted_as_release_health_sessions(
    redis_url: str, otlp: OtlpHttpReceiver, tmp_path: Path
) -> None:
    with running_blog(redis_url, otlp, tmp_path) as app:
        session = workloads.blog_login(app.url, "health")
        post = workloads.blog_new_post(session, app.url, "health")
        session.get(f"{app.url}/{post}/boom", timeout=10)
        app.server.stop()
        sessions = [i.json for i in app.sentry.items("sessions")]
    assert sessions, "no sessions item"
    assert {s["attrs"]["release"] for s in sessions} == {launch.RELEASE}
    totals: dict[str, int] = {}
    for aggregate in (a for s in sessions for a in s["aggregates"]):
        for key in ("exited", "errored", "crashed"):
            totals[key] = totals.get(key, 0) + aggregate.get(key, 0)
    assert totals["crashed"] == 1
    assert totals["exited"] >= 3


def test_everything_sent_is_relay_valid(blog: Launched) -> None:
    session, post = _login(blog, "relay")
    session.get(f"{blog.url}/{post}/boom", timeout=10)
    events_with(blog.sentry, f"boom on post {post}")
    requests.get(f"{blog.url}/123456789", timeout=10)  # Relay scrubs long ids in URL names
    _transaction_for(blog, "GET", "/123456789")
    assert_all_valid(blog.sentry)


def test_form_bodies_reach_transactions_with_passwords_filtered(blog: Launched) -> None:
    _login(blog, "body")
    login = _transaction_for(
        blog,
        "POST",
        "/auth/login",
        lambda request: (request.get("data") or {}).get("username") == "body",
    )
    assert login["request"]["data"] == {"username": "body", "password": "[Filtered]"}


def test_one_server_span_per_request_with_http_metrics_and_excluded_urls(
    redis_url: str, otlp: OtlpHttpReceiver, tmp_path: Path
) -> None:
    """scopetel's Flask instrumentor replaces contrib's: one span per request (no contrib
    span under it), OpenTelemetry's stable HTTP server metrics, and contrib's
    ``OTEL_PYTHON_FLASK_EXCLUDED_URLS`` honoured (no transaction, no span, not counted)."""
    settings = {
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_METRIC_EXPORT_INTERVAL": "300",
        "OTEL_PYTHON_FLASK_EXCLUDED_URLS": "auth/logout",
    }
    with running_blog(redis_url, otlp, tmp_path, **settings) as app:
        session = workloads.blog_login(app.url, "metrics")
        post = workloads.blog_new_post(session, app.url, "metrics")
        session.get(f"{app.url}/{post}", timeout=10).raise_for_status()
        assert session.get(f"{app.url}/{post}/boom", timeout=10).status_code == 500
        assert session.get(f"{app.url}/auth/logout", timeout=10).status_code in (200, 302)
        trace_id = trace_of(_transaction_for(app, "GET", f"/{post}"))["trace_id"]
        _transaction_for(app, "GET", f"/{post}/boom")

        def durations() -> list[Any]:
            return [m for m in otlp.metrics() if m.name == "http.server.request.duration"]

        otlp.wait_for(
            lambda: (
                {m.attributes.get("http.response.status_code") for m in durations()} >= {200, 500}
            )
        )
        app.server.stop()
    assert [t for t in app.sentry.transactions() if "logout" in json.dumps(t.get("request"))] == []
    in_request = [s for s in otlp.spans() if s.trace_id == trace_id]
    assert [s.name for s in in_request if s.kind == 2] == ["GET /<int:id>"]  # SERVER
    assert all(s.scope != "opentelemetry.instrumentation.flask" for s in otlp.spans())
    assert not [s for s in otlp.spans() if s.attributes.get("url.path") == "/auth/logout"]
    points = durations()
    assert {m.unit for m in points} == {"s"}
    by_route = {m.attributes.get("http.route"): m.attributes for m in points}
    assert by_route["/<int:id>"]["http.request.method"] == "GET"
    assert by_route["/<int:id>"]["url.scheme"] == "http"
    assert by_route["/<int:id>/boom"]["http.response.status_code"] == 500
    assert by_route["/<int:id>/boom"]["error.type"] == "500"
    assert "/auth/logout" not in by_route and all("logout" not in str(r) for r in by_route)
    active = [m for m in otlp.metrics() if m.name == "http.server.active_requests"]
    assert active and {m.scope for m in active} == {"scopetel.web"}
