"""get_client(): sentry_sdk's Client as code inspects it — a no-op client before init()."""

from collections.abc import Iterator

import pytest

import scopetel
from scopetel import _client
from scopetel.integrations.dedupe import DedupeIntegration
from tests.integrations.conftest import Start

DSN = "https://key@o1.ingest.sentry.io/42"


@pytest.fixture
def no_client() -> Iterator[None]:
    old = _client.set_client(None)
    try:
        yield
    finally:
        _client.set_client(old)


def test_before_init_an_inactive_client_that_does_nothing(no_client: None) -> None:
    client = scopetel.get_client()
    assert not client.is_active()
    assert (client.options, client.integrations) == ({}, {})
    assert client.dsn is None and client.transport is None
    assert client.get_integration(DedupeIntegration) is None
    assert client.capture_event({"message": "dropped"}) is None
    client.flush(timeout=1)
    client.close()


def test_after_init_options_dsn_transport_and_integrations(start: Start) -> None:
    transport = start(dsn=DSN, environment="ci", release="tool@0.9")
    client = scopetel.get_client()
    assert client.is_active() and scopetel.get_client() is client
    assert client.options["environment"] == "ci" and client.options["release"] == "tool@0.9"
    assert client.dsn == DSN
    assert client.transport is transport
    assert client.get_integration("dedupe") is client.get_integration(DedupeIntegration)
    assert isinstance(client.integrations["dedupe"], DedupeIntegration)


def test_capture_flush_and_close(start: Start) -> None:
    transport = start(dsn=DSN)
    client = scopetel.get_client()
    assert client.capture_event({"message": "by the client"}) is not None
    client.flush(timeout=5)
    client.close()
    scopetel.capture_message("after close: not sent")
    assert [event.get("message") for event in transport.events()] == ["by the client"]
    assert client.transport is None


def test_a_replaced_client_no_longer_acts_for_the_new_one(start: Start) -> None:
    old = (start(), scopetel.get_client())[1]
    new_transport = start()
    assert old is not scopetel.get_client()
    assert old.capture_event({"message": "old client"}) is None
    assert old.integrations == {} and old.get_integration("dedupe") is None
    assert new_transport.events() == []
