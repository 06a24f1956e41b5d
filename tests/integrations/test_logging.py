"""LoggingIntegration(level=, event_level=) configures scopetel_logging; a later init()
with other levels applies them; ignore_logger works before and after init()."""

import logging

import pytest

import scopetel
from scopetel.integrations.logging import LoggingIntegration, ignore_logger, unignore_logger
from tests.integrations.conftest import Start

log = logging.getLogger("tests.integrations.inventory")


def _log_each_level() -> None:
    log.info("info line")
    log.warning("warning line")
    log.error("error line")
    log.critical("critical line")


def _messages(transport: object, kind: str) -> list[str]:
    events = transport.events()  # type: ignore[attr-defined]
    if kind == "events":
        return [event["logentry"]["formatted"] for event in events]
    crumbs = (events[-1].get("breadcrumbs") or {}).get("values", []) if events else []
    return [crumb["message"] for crumb in crumbs if crumb.get("category") == log.name]


@pytest.fixture(autouse=True)
def _verbose_logger() -> None:
    log.setLevel(logging.DEBUG)


def test_levels_given_to_the_integration_take_effect(start: Start) -> None:
    transport = start(
        integrations=[LoggingIntegration(level=logging.WARNING, event_level=logging.CRITICAL)]
    )
    _log_each_level()
    assert _messages(transport, "events") == ["critical line"]
    assert _messages(transport, "breadcrumbs") == ["warning line", "error line"]


def test_event_level_none_sends_no_events(start: Start) -> None:
    transport = start(integrations=[LoggingIntegration(event_level=None)])
    _log_each_level()
    assert transport.events() == []


def test_a_later_init_applies_its_own_levels(start: Start) -> None:
    start(integrations=[LoggingIntegration(event_level=None)])
    transport = start()  # the default LoggingIntegration: events from ERROR
    _log_each_level()
    assert _messages(transport, "events") == ["error line", "critical line"]


def test_a_later_init_that_disables_it_leaves_the_instrumentor_on(start: Start) -> None:
    """Instrumentation is process-wide (README, Integrations): not undone by a later init()."""
    start(integrations=[LoggingIntegration(event_level=logging.CRITICAL)])
    transport = start(disabled_integrations=[LoggingIntegration])
    assert scopetel.get_client().get_integration(LoggingIntegration) is None
    _log_each_level()
    assert _messages(transport, "events") == ["critical line"]


@pytest.mark.parametrize("before_init", [True, False])
def test_ignore_logger_before_or_after_init(start: Start, before_init: bool) -> None:
    noisy = logging.getLogger("tests.integrations.noisy")
    try:
        if before_init:
            ignore_logger(noisy.name)
        transport = start()
        if not before_init:
            ignore_logger(noisy.name)
        noisy.error("retrying connection (1/5)")
        logging.getLogger("tests.integrations.noisy.child").error("a child is not ignored")
        log.error("user-facing failure")
        assert _messages(transport, "events") == ["a child is not ignored", "user-facing failure"]
    finally:
        unignore_logger(noisy.name)
