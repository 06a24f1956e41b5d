"""Scrubbing works on copies, after every event processor and before ``before_send``
(issue 12, 2 and 3); events and transactions alike, all Relay-valid."""

import copy
from collections.abc import Iterator
from typing import Any

import pytest

import scopetel
from scopetel._events.scrubber import scrub_event
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event

DATABASES = {
    "default": {"ENGINE": "postgresql", "NAME": "shop", "PASSWORD": "db-pass-81f3", "PORT": 5432},
    "replicas": [{"HOST": "replica", "password": "db-pass-2c9a"}],
}
PAYMENT = {"card": {"number": "4242424242424242", "holder": "A. Liddell"}, "amount": 42}
CRUMB = {"session_id": "crumb-session-5d1e", "nested": {"api_key": "crumb-key-7b0c"}}
SECRETS = ("db-pass-81f3", "db-pass-2c9a", "4242424242424242", "crumb-session-5d1e")


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as t:
        yield t
    for payload in t.events() + t.transactions():
        assert_valid_event(payload)


def _pristine() -> tuple[dict[str, Any], ...]:
    return copy.deepcopy(DATABASES), copy.deepcopy(PAYMENT), copy.deepcopy(CRUMB)


def test_the_applications_dicts_are_never_modified(transport: CapturingTransport) -> None:
    before = _pristine()
    with scopetel.isolation_scope():
        scopetel.set_extra("databases", DATABASES)
        scopetel.set_extra("payment", PAYMENT)
        scopetel.set_context("database", DATABASES["default"])
        scopetel.add_breadcrumb(category="auth", message="login", data=CRUMB)
        scopetel.capture_message("checkout failed")
        scopetel.capture_event({"message": "raw", "extra": {"config": DATABASES}})
        with scopetel.start_transaction(name="checkout", op="task"):
            with scopetel.start_span(op="db", name="select") as span:
                span.set_data("payment", str(PAYMENT))
    scopetel.flush()
    assert before == (DATABASES, PAYMENT, CRUMB)
    message, raw = transport.events()
    assert message["extra"]["databases"]["default"]["PASSWORD"] == "[Filtered]"
    assert message["extra"]["databases"]["replicas"] == [
        {"HOST": "replica", "password": "[Filtered]"}
    ]
    assert message["extra"]["payment"] == {"card": "[Filtered]", "amount": 42}
    assert message["contexts"]["database"]["PASSWORD"] == "[Filtered]"
    crumb = message["breadcrumbs"]["values"][0]["data"]
    assert crumb == {"session_id": "[Filtered]", "nested": {"api_key": "[Filtered]"}}
    assert raw["extra"]["config"]["default"]["PASSWORD"] == "[Filtered]"
    (transaction,) = transport.transactions()
    payloads = str([message, raw, transaction])
    assert [secret for secret in SECRETS if secret in payloads] == []


def test_scrubbing_copies_only_what_changes() -> None:
    clean = {"region": "eu", "items": [1, 2, {"sku": "A-1"}]}
    dirty = {"token": "t0k3n-value", "region": "eu"}
    event: dict[str, Any] = {"extra": {"clean": clean, "dirty": dirty}, "contexts": {"c": clean}}
    extra = event["extra"]
    scrub_event(event, send_default_pii=False)
    assert event["extra"] is not extra and event["extra"]["clean"] is clean
    assert event["contexts"]["c"] is clean
    assert event["extra"]["dirty"] == {"token": "[Filtered]", "region": "eu"}
    assert dirty["token"] == "t0k3n-value"


def _add_late_request(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """An event processor adding request data and extras, as the web layers do."""
    event["request"] = {
        "url": "https://shop.example/pay",
        "headers": {"X-Refresh-Token": "late-refresh-4e2a", "Accept": "*/*"},
        "query_string": "session=late-session-9f3b&page=2",
    }
    event.setdefault("extra", {})["late"] = {"client_secret": "late-secret-1a7d"}
    return event


def _seen_by(hook_calls: list[dict[str, Any]]) -> Any:
    def hook(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        hook_calls.append(copy.deepcopy(event))
        return event

    return hook


def _assert_late_data_scrubbed(payload: dict[str, Any]) -> None:
    request = payload["request"]
    assert request["headers"] == {"X-Refresh-Token": "[Filtered]", "Accept": "*/*"}
    assert request["query_string"] == "session=[Filtered]&page=2"
    assert payload["extra"]["late"] == {"client_secret": "[Filtered]"}


def test_scrubbing_runs_after_event_processors_and_before_the_hooks() -> None:
    hook_calls: list[dict[str, Any]] = []
    with capture_envelopes(
        traces_sample_rate=1.0,
        default_integrations=False,
        before_send=_seen_by(hook_calls),
        before_send_transaction=_seen_by(hook_calls),
    ) as transport:
        with scopetel.isolation_scope() as scope:
            scope.add_event_processor(_add_late_request)
            scopetel.capture_message("late data")
            with scopetel.start_transaction(name="pay", op="http.server"):
                pass
        scopetel.flush()
    payloads = transport.events() + transport.transactions()
    assert [p.get("type", "event") for p in payloads] == ["event", "transaction"]
    for payload in [*payloads, *hook_calls]:  # what the hooks saw, and what was sent
        _assert_late_data_scrubbed(payload)
    for payload in payloads:
        assert_valid_event(payload)


def test_a_before_send_that_returns_a_new_event_still_gets_the_common_fields() -> None:
    def replace(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        return {"message": "replaced", "level": "warning"}

    with capture_envelopes(default_integrations=False, before_send=replace) as transport:
        scopetel.capture_message("original")
    (event,) = transport.events()
    assert event["message"] == "replaced" and len(event["event_id"]) == 32
    assert_valid_event(event)


def test_user_keeps_what_the_application_set_but_not_the_address() -> None:
    user = {"id": "42", "email": "alice@example.com", "ip_address": "203.0.113.9"}
    event = scrub_event({"user": dict(user)}, send_default_pii=False)
    assert event["user"] == {"id": "42", "email": "alice@example.com"}
    event = scrub_event({"user": dict(user)}, send_default_pii=True)
    assert event["user"] == user


class _Login:
    def __repr__(self) -> str:
        return "Login(user='bob', password='crumb-pass-4c2f')"


def test_objects_in_breadcrumb_data_are_scrubbed_as_they_will_be_sent(
    transport: CapturingTransport,
) -> None:
    with scopetel.isolation_scope():
        scopetel.add_breadcrumb(category="auth", data={"attempt": _Login(), "n": 1})
        scopetel.capture_message("login failed")
    (event,) = transport.events()
    crumb = event["breadcrumbs"]["values"][0]["data"]
    assert crumb == {"attempt": "Login(user='bob', password=[Filtered])", "n": 1}
