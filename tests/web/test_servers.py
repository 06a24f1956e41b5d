"""Real gunicorn and uvicorn under ``opentelemetry-instrument``, configured by environment
variables only, serving Django, Starlette and plain WSGI/ASGI applications, with and
without the contrib instrumentation that makes the server spans.

Every request carries a unique id; what reaches the Sentry receiver for it must carry
that id's scope data and nothing else, streamed bodies must be inside their request's
transaction, and no server may ever log a context error.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from scopetel._semconv.personal_data import ADDRESS_ATTRIBUTES
from tests.support.sentry_receiver import SentryReceiver
from tests.web.client import (
    assert_only_own_scope_data,
    chunk_spans,
    disconnect_mid_stream,
    events_for,
    first_line,
    get,
    new_rid,
    transaction_for,
)
from tests.web.servers import RunningServer, Setup

SETUPS = [
    Setup("django-gunicorn-gthread", "gunicorn", "djangoapp.wsgi:application", "django"),
    Setup("django-gunicorn-sync", "gunicorn", "djangoapp.wsgi:application", "django", "sync"),
    Setup(
        "django-gunicorn-gthread-alone-pii",
        "gunicorn",
        "djangoapp.wsgi:application",
        "django",
        contrib=False,
        pii=True,
    ),
    Setup(
        "django-gunicorn-gthread-init",
        "gunicorn",
        "djangoapp.wsgi:application",
        "django",
        contrib=False,
        instrument=False,
    ),
    Setup("django-uvicorn", "uvicorn", "djangoapp.asgi:application", "django"),
    Setup("starlette-uvicorn", "uvicorn", "starlette_app:app", "starlette"),
    Setup("starlette-uvicorn-alone", "uvicorn", "starlette_app:app", "starlette", contrib=False),
    Setup("wsgi-gunicorn-gthread", "gunicorn", "plain_wsgi:application", "wsgi", contrib=False),
    Setup("wsgi-gunicorn-sync-contrib", "gunicorn", "plain_wsgi:application", "wsgi", "sync"),
    Setup("wsgi-gunicorn-gevent", "gunicorn", "plain_wsgi:application", "wsgi", "gevent", False),
    Setup("asgi-uvicorn", "uvicorn", "plain_asgi:application", "asgi", contrib=False),
    Setup("asgi-uvicorn-contrib", "uvicorn", "plain_asgi:application", "asgi", pii=True),
    Setup(
        "aiohttp-gunicorn-contrib",
        "gunicorn",
        "aiohttp_app:app",
        "aiohttp",
        worker="aiohttp.GunicornWebWorker",
    ),
    Setup(
        "aiohttp-web-alone-pii",
        "aiohttp",
        "aiohttp_app:make_app",
        "aiohttp",
        contrib=False,
        pii=True,
    ),
    Setup(
        "aiohttp-web-init",
        "aiohttp",
        "aiohttp_app:make_app",
        "aiohttp",
        instrument=False,
        env={"APP_INIT": "1"},
    ),
]

TRACE = "771a43a4192642f0b136d5159a501700"
PARENT = "1234567890abcdef"


class Served:
    def __init__(self, setup: Setup, server: RunningServer, receiver: SentryReceiver) -> None:
        self.setup = setup
        self.server = server
        self.receiver = receiver

    @property
    def url(self) -> str:
        return self.server.url

    def route_name(self, template: str, rid: str) -> tuple[str, str]:
        """(transaction name, source) for a path: the framework's route, else the URL."""
        if not self.setup.routes:
            return f"GET {template.format(rid=rid, n=4)}", "url"
        if self.setup.framework == "django":
            template = template.replace("{rid}", "<str:rid>").replace("{n}", "<int:n>")
        elif self.setup.framework == "starlette":
            template = template.replace("{n}", "{n:int}")
        return f"GET {template}", "route"


def _django_native_stream(setup: Setup) -> str:
    """Django streams sync content under WSGI and async content under ASGI; the other kind
    it consumes whole before sending (so nothing can be cut short)."""
    return "stream" if setup.server == "gunicorn" else "astream"


def _cuttable_streams(setup: Setup) -> tuple[str, ...]:
    if setup.framework == "django":
        return (_django_native_stream(setup),)
    return setup.streams


@pytest.fixture(scope="module", params=SETUPS, ids=[setup.name for setup in SETUPS])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    setup: Setup = request.param
    log = Path(tmp_path_factory.mktemp(setup.name)) / "server.log"
    with SentryReceiver() as receiver:
        server = RunningServer(setup, receiver.dsn, log)
        try:
            yield Served(setup, server, receiver)
            assert server.context_errors() == [], server.output()
        finally:
            server.stop()
        assert receiver.errors == []


def _expected_origin(setup: Setup) -> str:
    if setup.contrib:
        contrib = {"django": "django", "aiohttp": "aiohttp_server"}
        return "auto.otel." + contrib.get(setup.framework, setup.framework)
    return "auto.http." + setup.framework


def test_request_data_route_names_and_pii(served: Served) -> None:
    rid = new_rid()
    headers = {
        "Cookie": "session=secret-cookie",
        "Authorization": "Bearer secret-token",
        "X-Forwarded-For": "203.0.113.7, 10.0.0.1",
        "X-User": "alice",
        "User-Agent": "scopetel-tests",
    }
    response = get(served.url, f"/tagged/{rid}/?q=1&rid={rid}", headers)
    assert response.status_code == 200
    answer = response.json()
    transaction = transaction_for(served.receiver, rid)
    (event,) = events_for(served.receiver, rid)
    trace = transaction["contexts"]["trace"]
    assert (answer["trace_id"], answer["span_id"]) == (trace["trace_id"], trace["span_id"])
    assert trace["op"] == "http.server"
    assert trace["origin"] == _expected_origin(served.setup)
    name, source = served.route_name("/tagged/{rid}/", rid)
    assert (transaction["transaction"], transaction["transaction_info"]["source"]) == (name, source)
    assert (event["transaction"], event["transaction_info"]["source"]) == (name, source)
    assert event["contexts"]["trace"]["trace_id"] == trace["trace_id"]
    works = [span for span in transaction["spans"] if span.get("op") == "work"]
    assert [span["description"] for span in works] == [f"work {rid}"]
    assert works[0]["parent_span_id"] == trace["span_id"]
    assert_only_own_scope_data(event, rid)
    assert transaction["tags"]["req"] == rid
    addresses = {
        key
        for key, value in trace.get("data", {}).items()
        if key in ADDRESS_ATTRIBUTES and value != "[Filtered]"
    }
    assert bool(addresses) == served.setup.pii, trace.get("data")
    wsgi = served.setup.server == "gunicorn" and served.setup.framework in ("django", "wsgi")
    for item in (event, transaction):
        request = item["request"]
        assert request["url"] == f"{served.url}/tagged/{rid}/"
        assert request["method"] == "GET"
        assert request["query_string"] == f"q=1&rid={rid}"
        assert request["headers"]["User-Agent"] == "scopetel-tests"
        assert request["headers"]["Authorization"] == "[Filtered]"  # a secret, PII or not
        assert request["headers"]["Cookie"] == "[Filtered]"
        # as sentry_sdk: a WSGI request's env names the server (and with PII its TCP peer)
        server = {"SERVER_NAME", "SERVER_PORT"} if wsgi else set()
        if served.setup.pii:
            assert request["cookies"] == {"session": "[Filtered]"}
            assert request["headers"]["X-Forwarded-For"] == "203.0.113.7, 10.0.0.1"
            peer = "127.0.0.1" if wsgi else "203.0.113.7"  # ASGI: the first forwarded hop
            assert request["env"]["REMOTE_ADDR"] == peer
            assert set(request["env"]) == server | {"REMOTE_ADDR"}
            assert item["user"]["ip_address"] == "203.0.113.7"
        else:
            assert request["headers"]["X-Forwarded-For"] == "[Filtered]"
            assert "cookies" not in request
            assert set(request.get("env", {})) == server
            assert item.get("user", {}).get("ip_address") is None
    if served.setup.pii and served.setup.framework == "django":
        assert event["user"] == {
            "id": rid,
            "username": "alice",
            "email": "alice@example.com",
            "ip_address": "203.0.113.7",
        }


def test_streamed_bodies_are_inside_the_request_transaction(served: Served) -> None:
    for kind in served.setup.streams:
        _check_streamed_body(served, kind)


def _check_streamed_body(served: Served, kind: str) -> None:
    rid = new_rid()
    started = time.time()
    response = get(served.url, f"/{kind}/{rid}/4/?delay=0.03")
    ended = time.time()
    assert response.status_code == 200 and response.content.count(b"\n") == 5
    body_ids = first_line(response)
    transaction = transaction_for(served.receiver, rid)
    trace = transaction["contexts"]["trace"]
    assert trace["status"] == "ok"
    assert body_ids["trace_id"] == trace["trace_id"] and body_ids["tag"] == rid
    assert body_ids["span_id"] == trace["span_id"]  # the body runs where the server span is current
    chunks = chunk_spans(transaction)
    assert [span["description"] for span in chunks] == [f"chunk {i}" for i in range(4)]
    assert {span["parent_span_id"] for span in chunks} == {trace["span_id"]}
    assert {span["trace_id"] for span in chunks} == {trace["trace_id"]}
    # The server span covers the whole body: every chunk, and the time it took.
    assert transaction["start_timestamp"] <= min(span["start_timestamp"] for span in chunks)
    assert transaction["timestamp"] >= max(span["timestamp"] for span in chunks)
    assert transaction["timestamp"] - transaction["start_timestamp"] >= 4 * 0.03
    assert (
        started - 0.05 <= transaction["start_timestamp"] <= transaction["timestamp"] <= ended + 0.05
    )
    assert transaction["tags"]["req"] == rid
    name, source = served.route_name(f"/{kind}/{{rid}}/{{n}}/", rid)
    assert (transaction["transaction"], transaction["transaction_info"]["source"]) == (name, source)
    (event,) = events_for(served.receiver, rid)
    assert event["message"] == f"streamed {rid}"
    assert event["contexts"]["trace"]["span_id"] == trace["span_id"]
    assert_only_own_scope_data(event, rid)


def test_client_disconnect_mid_stream_cancels_the_request(served: Served) -> None:
    for kind in _cuttable_streams(served.setup):
        _check_disconnect(served, kind)


def _check_disconnect(served: Served, kind: str) -> None:
    rid = new_rid()
    received = disconnect_mid_stream(served.server.port, f"/{kind}/{rid}/300/?delay=0.01")
    assert f"{rid} 0\n".encode() in received
    transaction = transaction_for(served.receiver, rid)
    trace = transaction["contexts"]["trace"]
    assert trace["status"] == "cancelled"
    chunks = chunk_spans(transaction)
    assert 1 <= len(chunks) < 300
    assert {span["parent_span_id"] for span in chunks} == {trace["span_id"]}
    assert transaction["tags"]["req"] == rid
    # The next request on this server sees nothing of the cut one.
    after = new_rid()
    assert get(served.url, f"/tagged/{after}/").status_code == 200
    assert_only_own_scope_data(events_for(served.receiver, after)[0], after)
    asgi = {"asgi.type": "http"} if served.setup.framework in ("starlette", "asgi") else {}
    assert transaction_for(served.receiver, after)["tags"] == {
        "req": after,
        "http.status_code": "200",  # the request's own (as sentry_sdk's set_http_status)
        **asgi,  # as sentry_sdk tags ASGI transactions
    }


def test_unhandled_error_is_reported_with_the_request(served: Served) -> None:
    rid = new_rid()
    assert get(served.url, f"/error/{rid}/").status_code == 500
    (event,) = events_for(served.receiver, rid)
    (error,) = event["exception"]["values"]
    assert (error["type"], error["value"]) == ("RuntimeError", f"boom {rid}")
    assert error["mechanism"]["handled"] is False
    assert event["request"]["url"] == f"{served.url}/error/{rid}/"
    assert_only_own_scope_data(event, rid)
    transaction = transaction_for(served.receiver, rid)
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert event["contexts"]["trace"]["trace_id"] == transaction["contexts"]["trace"]["trace_id"]


def test_incoming_sentry_trace_and_traceparent_are_continued(served: Served) -> None:
    rid = new_rid()
    sentry_headers = {
        "sentry-trace": f"{TRACE}-{PARENT}-1",
        "baggage": f"sentry-trace_id={TRACE},sentry-public_key=upstream,sentry-sample_rate=1.0",
    }
    assert get(served.url, f"/tagged/{rid}/", sentry_headers).status_code == 200
    trace = transaction_for(served.receiver, rid)["contexts"]["trace"]
    assert (trace["trace_id"], trace["parent_span_id"]) == (TRACE, PARENT)
    envelope = next(
        e
        for e in served.receiver.envelopes
        if e.items[0].type == "transaction"
        and e.items[0].json["contexts"]["trace"]["trace_id"] == TRACE
    )
    assert envelope.headers["trace"]["public_key"] == "upstream"
    other, w3c_trace = new_rid(), "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = {"traceparent": f"00-{w3c_trace}-{PARENT}-01"}
    assert get(served.url, f"/tagged/{other}/", traceparent).status_code == 200
    trace = transaction_for(served.receiver, other)["contexts"]["trace"]
    assert (trace["trace_id"], trace["parent_span_id"]) == (w3c_trace, PARENT)


def _one_request(served: Served, kind: str, rid: str) -> None:
    if kind == "disconnect":
        stream = _cuttable_streams(served.setup)[-1]
        disconnect_mid_stream(served.server.port, f"/{stream}/{rid}/300/?delay=0.01")
        return
    path = f"/tagged/{rid}/" if kind == "tagged" else f"/{kind}/{rid}/3/?delay=0.002"
    response = get(served.url, path)
    assert response.status_code == 200, response.text


def test_concurrent_mixed_requests_keep_their_scopes(served: Served) -> None:
    kinds = ["tagged"] * 110 + ["disconnect"] * 10
    kinds += [served.setup.streams[i % len(served.setup.streams)] for i in range(80)]
    random.Random(6).shuffle(kinds)
    plan = [(kind, new_rid()) for kind in kinds]
    receiver = served.receiver
    with ThreadPoolExecutor(16) as pool:
        for wave in range(0, len(plan), 40):
            # Waves keep the SDK's envelope queue (100, as sentry-sdk's) from overflowing.
            list(pool.map(lambda item: _one_request(served, *item), plan[wave : wave + 40]))
            for _, rid in plan[wave : wave + 40]:
                transaction_for(receiver, rid, timeout=30.0)
    assert receiver.discarded() == 0, receiver.client_reports()
    expected_events = sum(1 for kind, _ in plan if kind != "disconnect")
    for kind, rid in plan:
        transaction = transaction_for(receiver, rid, timeout=30.0)
        assert transaction["tags"]["req"] == rid
        assert (transaction.get("user") or {}).get("id") == rid
        assert transaction["contexts"]["request_marker"] == {"rid": rid}
        status = transaction["contexts"]["trace"]["status"]
        assert status == ("cancelled" if kind == "disconnect" else "ok"), (kind, transaction)
        if kind != "disconnect":
            (event,) = events_for(receiver, rid)
            assert_only_own_scope_data(event, rid)
    assert len({e["event_id"] for e in receiver.events()}) >= expected_events
    assert served.server.context_errors() == []


def test_framework_routes_and_file_responses(served: Served) -> None:
    framework = served.setup.framework
    if framework not in ("django", "starlette", "aiohttp"):
        return  # plain applications have neither
    if framework == "django":
        rid = new_rid()
        assert get(served.url, f"/legacy/2024/?rid={rid}").status_code == 200
        served.receiver.wait_for(lambda: _with_tag(served.receiver.transactions(), rid))
        transaction = _with_tag(served.receiver.transactions(), rid)[0]
        assert transaction["transaction"] == "GET /legacy/{year}/"
    else:
        rid = new_rid()
        assert get(served.url, f"/sub/tagged/{rid}/").status_code == 200
        transaction = transaction_for(served.receiver, rid)
        assert transaction["transaction"] == "GET /sub/tagged/{rid}/"
        assert transaction["transaction_info"]["source"] == "route"
    rid = new_rid()
    response = get(served.url, f"/file/{rid}/")
    assert response.status_code == 200 and b"the same HTTP API" in response.content
    transaction = transaction_for(served.receiver, rid)
    assert transaction["contexts"]["trace"]["status"] == "ok"
    assert transaction["tags"]["req"] == rid


def _with_tag(items: list[dict[str, Any]], rid: str) -> list[dict[str, Any]]:
    return [item for item in items if (item.get("tags") or {}).get("req") == rid]
