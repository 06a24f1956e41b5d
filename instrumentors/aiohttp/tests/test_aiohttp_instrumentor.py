"""The aiohttp instrumentor in-process: a real aiohttp server on 127.0.0.1 (aiohttp's
``TestServer``) called by a real ``ClientSession``. Under ``opentelemetry-instrument``,
gunicorn's aiohttp worker and ``python -m aiohttp.web``: ``tests/web/test_servers.py``."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from scopetel_instrumentation_aiohttp import AioHttpInstrumentor

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event

Call = tuple[str, str, dict[str, Any]]


async def item(request: web.Request) -> web.Response:
    scopetel.set_tag("item", request.match_info["item_id"])
    with scopetel.start_span(op="db", name="load item"):
        pass
    return web.json_response({"id": request.match_info["item_id"]})


async def boom(request: web.Request) -> web.Response:
    scopetel.set_tag("shop.label", request.match_info["label"])
    raise RuntimeError(f"boom {request.match_info['label']}")


async def unavailable(request: web.Request) -> web.Response:
    raise web.HTTPServiceUnavailable(text="down")


async def gone(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    return web.Response(text=f"hello {form['username']}")


async def create(request: web.Request) -> web.Response:
    return web.json_response(await request.json())


async def fetch(request: web.Request) -> web.Response:
    """Calls this server's ``/items/9`` with a ``ClientSession``."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(str(request.url.with_path("/items/9").with_query(None))) as answer,
    ):
        return web.Response(text=str(answer.status))


def make_app() -> web.Application:
    app = web.Application()
    app.add_routes(
        [
            web.get("/items/{item_id}", item),
            web.get("/boom/{label}", boom),
            web.get("/unavailable", unavailable),
            web.get("/gone", gone),
            web.post("/login", login),
            web.post("/items", create),
            web.get("/fetch", fetch),
        ]
    )
    shop = web.Application()
    shop.add_routes([web.get("/items/{item_id}", item)])
    app.add_subapp("/shop/", shop)
    return app


async def _serve(calls: list[Call], *, concurrent: bool = False) -> list[int]:
    server = TestServer(make_app(), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:

            async def one(method: str, path: str, kwargs: dict[str, Any]) -> int:
                async with session.request(method, server.make_url(path), **kwargs) as answer:
                    await answer.read()
                    return answer.status

            if concurrent:
                return list(await asyncio.gather(*(one(*call) for call in calls)))
            return [await one(*call) for call in calls]
    finally:
        await server.close()


def serve(*calls: Call, concurrent: bool = False) -> list[int]:
    return asyncio.run(_serve(list(calls), concurrent=concurrent))


def get(path: str, **kwargs: Any) -> Call:
    return ("GET", path, kwargs)


@pytest.fixture
def captured() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        yield transport


def _transactions(transport: CapturingTransport) -> list[dict[str, Any]]:
    scopetel.flush(2)
    return transport.transactions()


@contextmanager
def reinstrumented(**options: Any) -> Iterator[None]:
    """The instrumentor with ``options`` inside the block, with none after it."""
    instrumentor = AioHttpInstrumentor()
    instrumentor.uninstrument()
    instrumentor.instrument(**options)
    try:
        yield
    finally:
        instrumentor.uninstrument()
        instrumentor.instrument()


def test_transactions_are_named_by_route(captured: CapturingTransport) -> None:
    assert serve(get("/items/7"), get("/shop/items/8")) == [200, 200]
    first, second = _transactions(captured)
    assert (first["transaction"], first["transaction_info"]) == (
        "GET /items/{item_id}",
        {"source": "route"},
    )
    assert second["transaction"] == "GET /shop/items/{item_id}"  # one, for the sub-application
    for transaction in (first, second):
        trace = transaction["contexts"]["trace"]
        assert (trace["op"], trace["status"]) == ("http.server", "ok")
        assert [span["description"] for span in transaction["spans"]] == ["load item"]
        assert transaction["spans"][0]["parent_span_id"] == trace["span_id"]
        assert_valid_event(transaction)
    assert (first["tags"]["item"], second["tags"]["item"]) == ("7", "8")


def test_handler_name_style(captured: CapturingTransport) -> None:
    with reinstrumented(transaction_style="handler_name"):
        serve(get("/items/7"))
    (transaction,) = _transactions(captured)
    assert transaction["transaction"] == f"{__name__}.item"
    assert transaction["transaction_info"] == {"source": "component"}


def test_a_bad_transaction_style_is_refused() -> None:
    instrumentor = AioHttpInstrumentor()
    instrumentor.uninstrument()
    try:
        with pytest.raises(ValueError, match="transaction_style"):
            instrumentor.instrument(transaction_style="path")
    finally:
        instrumentor.instrument()


def test_a_raising_handler_is_one_unhandled_aiohttp_event(captured: CapturingTransport) -> None:
    assert serve(get("/boom/once")) == [500]
    (transaction,) = _transactions(captured)
    (event,) = captured.events()  # aiohttp's "Error handling request" log record adds none
    (error,) = event["exception"]["values"]
    assert (error["type"], error["value"]) == ("RuntimeError", "boom once")
    assert error["mechanism"] == {"type": "aiohttp", "handled": False}
    assert event["tags"]["shop.label"] == "once"
    assert event["transaction"] == transaction["transaction"] == "GET /boom/{label}"
    assert event["request"]["url"].endswith("/boom/once")
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert event["contexts"]["trace"]["span_id"] == transaction["contexts"]["trace"]["span_id"]
    assert_valid_event(event)


def test_http_exceptions_are_reported_by_failed_request_status_codes(
    captured: CapturingTransport,
) -> None:
    assert serve(get("/unavailable"), get("/gone")) == [503, 404]
    unavailable_tx, gone_tx = _transactions(captured)
    (event,) = captured.events()
    (error,) = event["exception"]["values"]
    assert (error["type"], error["mechanism"]["handled"]) == ("HTTPServiceUnavailable", False)
    assert unavailable_tx["contexts"]["trace"]["status"] == "unavailable"
    assert gone_tx["contexts"]["trace"]["status"] == "not_found"


def test_failed_request_status_codes_option(captured: CapturingTransport) -> None:
    with reinstrumented(failed_request_status_codes={404}):
        serve(get("/unavailable"), get("/gone"))
    (event,) = captured.events()
    assert event["exception"]["values"][0]["type"] == "HTTPNotFound"


def test_form_and_json_bodies_are_attached_and_scrubbed(captured: CapturingTransport) -> None:
    serve(
        ("POST", "/login", {"data": {"username": "ada", "password": "hunter2"}}),
        ("POST", "/items", {"json": {"name": "pen", "price": 1.5}}),
    )
    login_tx, created = _transactions(captured)
    assert login_tx["request"]["data"] == {"username": "ada", "password": "[Filtered]"}
    assert created["request"]["data"] == {"name": "pen", "price": 1.5}
    assert "hunter2" not in str(captured.envelopes)


def test_request_headers_and_query_are_scrubbed(captured: CapturingTransport) -> None:
    headers = {"Authorization": "Bearer secret-token", "Cookie": "session=secret-cookie"}
    serve(get("/boom/scrub?password=hunter2&q=1", headers=headers))
    (event,) = captured.events()
    (transaction,) = _transactions(captured)
    for payload in (event, transaction):
        request = payload["request"]
        assert request["headers"]["Authorization"] == "[Filtered]"
        assert request["headers"]["Cookie"] == "[Filtered]"
        assert request["query_string"] == "password=[Filtered]&q=1"
        assert "cookies" not in request
    assert "hunter2" not in str(captured.envelopes)
    assert "secret-token" not in str(captured.envelopes)


def test_client_calls_carry_the_trace_to_the_next_server(captured: CapturingTransport) -> None:
    assert serve(get("/fetch")) == [200]
    transactions = {t["transaction"]: t for t in _transactions(captured)}
    upstream, downstream = transactions["GET /fetch"], transactions["GET /items/{item_id}"]
    (client_span,) = [s for s in upstream["spans"] if s.get("op") == "http.client"]
    trace = downstream["contexts"]["trace"]
    assert trace["trace_id"] == upstream["contexts"]["trace"]["trace_id"]
    assert trace["parent_span_id"] == client_span["span_id"]


def test_concurrent_requests_keep_their_scopes(captured: CapturingTransport) -> None:
    ids = [str(n) for n in range(30)]
    assert serve(*(get(f"/items/{n}") for n in ids), concurrent=True) == [200] * 30
    transactions = _transactions(captured)
    assert sorted(t["tags"]["item"] for t in transactions) == sorted(ids)
    assert len({t["contexts"]["trace"]["trace_id"] for t in transactions}) == 30
    for transaction in transactions:
        (span,) = transaction["spans"]
        assert span["parent_span_id"] == transaction["contexts"]["trace"]["span_id"]
