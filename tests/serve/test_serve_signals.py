"""``scopetel serve`` prints Sentry's other signals: sessions, check-ins, attachments, and
names of logs and trace metrics; and it answers kept-alive clients without Nagle's stall."""

import http.client
import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from scopetel_exporter_sentry.envelope import Envelope, Item, serialize_envelope

import scopetel
from scopetel.instrumentation import begin_request_session, end_request_session
from scopetel.serve import Receiver


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Receiver, io.StringIO]]:
    output = io.StringIO()
    with Receiver(port=0, out=output, jsonl=tmp_path / "events.jsonl", color="never") as server:
        yield server, output


def test_sessions_check_ins_and_attachments_are_printed(served) -> None:
    receiver, output = served
    scopetel.init(dsn=receiver.dsn, release="cli@1.0.0", environment="dev")
    with scopetel.isolation_scope() as scope:
        begin_request_session(scope)
        scopetel.capture_exception(RuntimeError("in a request"))
        end_request_session(scope)
    with scopetel.isolation_scope() as scope:
        scope.add_attachment(bytes=b"0123456789", filename="dump.txt")
        scopetel.start_session()
        scopetel.capture_message("with a file")
        scopetel.end_session()
    scopetel.capture_checkin("nightly", status="ok", duration=1.5)
    scopetel.flush(5)
    assert receiver.wait_for(
        lambda records: (
            {"sessions", "session", "check_in", "attachment"} <= {r.kind for r in records}
        ),
        timeout=5,
    )
    text = output.getvalue()
    assert "sessions · errored=1 · 1 minute(s) · release cli@1.0.0 · environment dev" in text
    assert "session exited · 0 error(s) · " in text
    assert "check_in nightly · ok · 1.500 s · trace " in text
    assert "attachment dump.txt · text/plain · 10 bytes · event " in text


def test_logs_and_metrics_are_printed_by_name(served) -> None:
    receiver, output = served
    items = [
        Item.from_json(
            "log",
            {"items": [{"body": "user logged in", "level": "info"}]},
            content_type="application/vnd.sentry.items.log+json",
            item_count=1,
        ),
        Item.from_json(
            "trace_metric",
            {"items": [{"name": "orders.placed", "value": 1}, {"name": "cart.value"}]},
            content_type="application/vnd.sentry.items.trace-metric+json",
            item_count=2,
        ),
    ]
    body = serialize_envelope(Envelope({}, items))
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
    connection.request("POST", "/api/1/envelope/", body=body)
    assert connection.getresponse().status == 200
    connection.close()
    assert receiver.wait_for(lambda records: len(records) == 2, timeout=5)
    text = output.getvalue()
    assert "log x1 · user logged in" in text
    assert "trace_metric x2 · orders.placed, cart.value" in text


def test_kept_alive_connections_have_nagle_off(served) -> None:
    """With Nagle on, a reply written as headers then body waits for the client's delayed
    ACK; the receiver's sockets must have TCP_NODELAY set."""
    receiver, _ = served
    seen: list[int] = []
    handler = receiver._server.RequestHandlerClass  # type: ignore[attr-defined]
    original = handler.setup

    def setup(self) -> None:  # type: ignore[no-untyped-def]
        original(self)
        seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    handler.setup = setup
    try:
        connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
        for _ in range(3):
            connection.request("GET", "/")
            assert connection.getresponse().read()
        connection.close()
    finally:
        handler.setup = original
    assert seen and all(seen)
