"""aiohttp's own cases on a real server process (gunicorn's ``aiohttp.GunicornWebWorker``
with contrib's server instrumentation, and ``python -m aiohttp.web`` with scopetel
alone): raised ``HTTPException``\\ s by ``failed_request_status_codes``, and a
``ClientSession`` call that carries the trace to the next server. The test API every
framework serves: ``test_servers.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.sentry_receiver import SentryReceiver
from tests.web.client import events_for, get, new_rid, transaction_for
from tests.web.servers import RunningServer, Setup
from tests.web.test_servers import SETUPS, Served

AIOHTTP_SETUPS = [setup for setup in SETUPS if setup.framework == "aiohttp" and setup.instrument]


@pytest.fixture(scope="module", params=AIOHTTP_SETUPS, ids=[s.name for s in AIOHTTP_SETUPS])
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


def test_http_exceptions_follow_failed_request_status_codes(served: Served) -> None:
    failed, missing = new_rid(), new_rid()
    assert get(served.url, f"/http500/{failed}/").status_code == 500
    assert get(served.url, f"/missing/{missing}/").status_code == 404
    (event,) = events_for(served.receiver, failed)
    (error,) = event["exception"]["values"]
    assert error["type"] == "HTTPInternalServerError"
    assert error["mechanism"] == {"type": "aiohttp", "handled": False}
    assert event["transaction"] == "GET /http500/{rid}/"
    trace = transaction_for(served.receiver, failed)["contexts"]["trace"]
    assert trace["status"] == "internal_error"
    assert event["contexts"]["trace"]["span_id"] == trace["span_id"]
    assert transaction_for(served.receiver, missing)["contexts"]["trace"]["status"] == "not_found"
    assert [e for e in served.receiver.events() if missing in str(e.get("request"))] == []


def test_a_client_session_call_continues_the_trace(served: Served) -> None:
    caller, callee = new_rid(), new_rid()
    target = quote(f"{served.url}/tagged/{callee}/", safe="")
    answer = get(served.url, f"/call/{caller}/?url={target}").json()
    assert answer["status"] == 200
    upstream = transaction_for(served.receiver, caller)
    downstream = transaction_for(served.receiver, callee)
    (client,) = [span for span in upstream["spans"] if span.get("op") == "http.client"]
    assert client["parent_span_id"] == upstream["contexts"]["trace"]["span_id"]
    trace = downstream["contexts"]["trace"]
    assert (trace["trace_id"], trace["parent_span_id"]) == (answer["trace_id"], client["span_id"])
    assert downstream["tags"]["req"] == callee  # the callee's own scope, not the caller's
    assert upstream["tags"]["req"] == caller
