"""Django Channels consumers under uvicorn and ``opentelemetry-instrument``: each
connection's scope is its own, each message's changes stay with that message, what
``connect()`` set stays for the connection, and a handler's exception is one unhandled
event. A real server, real WebSocket clients (the ``websockets`` library)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import SentryReceiver
from tests.web.servers import RunningServer, Setup

pytest.importorskip("channels")
sync_client = pytest.importorskip("websockets.sync.client")

SETUP = Setup(
    name="channels-uvicorn",
    server="uvicorn",
    app="channels_app:application",
    framework="asgi",
    contrib=False,
    env={"DJANGO_SETTINGS_MODULE": "channels_settings"},
)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SentryReceiver, RunningServer]]:
    with SentryReceiver() as receiver:
        log: Path = tmp_path_factory.mktemp("channels") / "server.log"
        server = RunningServer(SETUP, receiver.dsn, log)
        try:
            yield receiver, server
            assert server.context_errors() == []
        finally:
            server.stop()
        assert receiver.errors == []


def _talk(server: RunningServer, kind: str, name: str, commands: list[str]) -> None:
    url = f"ws://127.0.0.1:{server.port}/ws/{kind}/{name}/"
    with sync_client.connect(url, open_timeout=10) as socket:
        for command in commands:
            socket.send(command)
            if command != "raise":
                assert socket.recv(timeout=10) == "done"


def _events_from(receiver: SentryReceiver, text: str, count: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        return [e for e in receiver.events() if text in str(e.get("message") or e.get("exception"))]

    receiver.wait_for(lambda: len(found()) >= count, timeout=15)
    return found()


@pytest.mark.parametrize("kind", ["async", "sync"])
def test_each_message_keeps_its_own_changes_and_the_connection_its_state(
    served: tuple[SentryReceiver, RunningServer], kind: str
) -> None:
    receiver, server = served
    name = f"{kind}-alice"
    _talk(server, kind, name, ["tag:first", "report"])
    _talk(server, kind, f"{kind}-bob", ["report"])
    first, second = _events_from(receiver, f"report from {name}", 2)
    (bob,) = _events_from(receiver, f"report from {kind}-bob", 1)
    # the message that set the tag reports it; the next message of the connection does not
    assert first["tags"]["message"] == "first"
    assert "message" not in second["tags"]
    assert [c["message"] for c in first["breadcrumbs"]["values"]] == ["set first"]
    assert second["breadcrumbs"]["values"] == []
    # connect() set connection state: on every message of that connection only
    assert first["tags"]["connection"] == second["tags"]["connection"] == name
    assert bob["tags"]["connection"] == f"{kind}-bob"
    assert "message" not in bob["tags"]
    for event in (first, second, bob):
        assert_valid_event(event)


def test_an_exception_in_a_handler_is_one_unhandled_event(
    served: tuple[SentryReceiver, RunningServer],
) -> None:
    receiver, server = served
    _talk(server, "async", "carol", ["tag:before", "raise"])
    _events_from(receiver, "report from carol", 1)
    (event,) = _events_from(receiver, "raised by carol", 1)
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["mechanism"]["type"] == "channels"
    assert exception["mechanism"]["handled"] is False
    assert event["tags"]["connection"] == "carol"
    assert_valid_event(event)
