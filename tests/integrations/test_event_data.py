"""What the default integrations add to events, as sentry-sdk does: ``modules`` (errors
only, computed once), ``extra["sys.argv"]`` (events and transactions), and dedupe (one
event per exception object, the other counted as dropped by an event processor)."""

import sys
from importlib import metadata
from typing import Any

import pytest

import scopetel
from scopetel.integrations import modules
from scopetel.integrations.argv import ArgvIntegration
from scopetel.integrations.dedupe import DedupeIntegration
from scopetel.integrations.modules import ModulesIntegration
from tests.integrations.conftest import Start


def test_modules_in_error_events_not_in_transactions(start: Start) -> None:
    transport = start(traces_sample_rate=1.0)
    with scopetel.start_transaction(name="job"):
        scopetel.capture_message("inside")
    scopetel.flush()
    (event,) = transport.events()
    assert event["modules"]["pytest"] == metadata.version("pytest")
    assert event["modules"]["opentelemetry-sdk"] == metadata.version("opentelemetry-sdk")
    assert "modules" not in transport.transactions()[0]


def test_modules_are_computed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = metadata.distributions

    def counting() -> Any:
        calls.append(1)
        return real()

    monkeypatch.setattr(modules, "_installed", None)
    monkeypatch.setattr(metadata, "distributions", counting)
    first = modules.installed_modules()
    assert modules.installed_modules() is first
    assert len(calls) == 1


def test_argv_in_events_and_transactions(start: Start) -> None:
    transport = start(traces_sample_rate=1.0)
    with scopetel.start_transaction(name="job"):
        scopetel.capture_message("inside")
    scopetel.flush()
    for payload in (*transport.events(), *transport.transactions()):
        assert payload["extra"]["sys.argv"] == sys.argv


def test_without_modules_and_argv_integrations_neither_is_sent(start: Start) -> None:
    transport = start(default_integrations=False, integrations=[DedupeIntegration()])
    scopetel.capture_message("bare")
    (event,) = transport.events()
    assert "modules" not in event
    assert "sys.argv" not in event.get("extra", {})


def test_only_the_listed_one_when_given_alone(start: Start) -> None:
    transport = start(default_integrations=False, integrations=[ArgvIntegration()])
    scopetel.capture_message("argv only")
    (event,) = transport.events()
    assert "modules" not in event and "sys.argv" in event["extra"]
    transport = start(default_integrations=False, integrations=[ModulesIntegration()])
    scopetel.capture_message("modules only")
    (event,) = transport.events()
    assert "modules" in event and "sys.argv" not in event.get("extra", {})


def _capture_twice(error: BaseException) -> None:
    for _ in range(2):
        try:
            raise error
        except type(error):
            scopetel.capture_exception()


def test_dedupe_sends_one_event_per_exception_object(start: Start) -> None:
    transport = start()
    _capture_twice(LookupError("same error twice"))
    _capture_twice(KeyError("another one"))
    assert [event["exception"]["values"][0]["type"] for event in transport.events()] == [
        "LookupError",
        "KeyError",
    ]
    assert transport.lost[("event_processor", "error")] == 2


def test_without_dedupe_every_capture_is_sent(start: Start) -> None:
    transport = start(disabled_integrations=["dedupe"])
    _capture_twice(LookupError("same error twice"))
    assert len(transport.events()) == 2
