"""User input is normalized as Relay expects, never forwarded for Relay to reject
(issue 12, item 18): tag keys and values, measurement names and units, origins,
breadcrumb fields, ``event_id``, levels and user fields. Relay's own normalizer
(``tests/support/relay.py``) must neither raise nor leave ``errors``/``_meta``."""

import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from scopetel_exporter_sentry.envelope import parse_envelope, serialize_envelope

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as capturing:
        yield capturing


def _run(body: Callable[[], Any]) -> None:
    def scenario() -> None:
        with scopetel.isolation_scope():
            body()
        scopetel.flush()

    contextvars.copy_context().run(scenario)


ODD_TAGS = {"": "empty key", "  ": "blank key", "a/b": "slash", "é": "accent", "k": "a\nb"}


def test_tag_keys_and_values_are_made_valid(transport: CapturingTransport) -> None:
    def body() -> None:
        scopetel.set_tags({**ODD_TAGS, "empty value": "", "fine": "yes"})
        with scopetel.start_transaction(name="tagged") as transaction:
            for key, value in ODD_TAGS.items():
                transaction.set_tag(key, value)
        scopetel.capture_message("tagged")

    _run(body)
    expected = {"a_b": "slash", "_": "accent", "k": "a b"}
    (event,) = transport.events()
    assert event["tags"] == {**expected, "fine": "yes"}
    assert_valid_event(event)
    (transaction,) = transport.transactions()
    assert {k: v for k, v in transaction["tags"].items() if k != "fine"} == expected
    assert_valid_event(transaction)


def test_measurement_names_and_units_are_made_valid(transport: CapturingTransport) -> None:
    def body() -> None:
        with scopetel.start_transaction(name="measured") as transaction:
            transaction.set_measurement("time-to-x", 12, "millisecond")
            transaction.set_measurement("1st", 1)
            transaction.set_measurement("", 1)
            transaction.set_measurement("items", 3, "bogus unit!")

    _run(body)
    (transaction,) = transport.transactions()
    assert transaction["measurements"] == {
        "time_to_x": {"value": 12, "unit": "millisecond"},
        "items": {"value": 3, "unit": ""},  # an invalid unit is left out: none
    }
    assert_valid_event(transaction)


def test_an_origin_made_from_bytes_is_made_valid(transport: CapturingTransport) -> None:
    def body() -> None:
        with scopetel.start_transaction(name="origin", origin=str(b"auto.http")):
            with scopetel.start_span(op="db", origin="Auto HTTP"):
                pass

    _run(body)
    (transaction,) = transport.transactions()
    assert transaction["contexts"]["trace"]["origin"] == "b_auto.http_"
    assert transaction["spans"][0]["origin"] == "Auto_HTTP"
    assert_valid_event(transaction)


def test_breadcrumb_fields_of_the_wrong_types_are_made_valid(
    transport: CapturingTransport,
) -> None:
    def body() -> None:
        scopetel.add_breadcrumb(
            type=5,
            category=["db"],
            message={"sql": "select 1"},
            level="bogus",
            data=[1, 2],
            timestamp="yesterday",
            event_id="not hex",
            route="/checkout",  # not a breadcrumb field: kept in data
        )
        scopetel.add_breadcrumb({"message": "warned", "level": "WARN", "timestamp": -5})
        scopetel.capture_message("with breadcrumbs")

    _run(body)
    (event,) = transport.events()
    first, second = event["breadcrumbs"]["values"]
    assert first["type"] == "5" and first["category"] == "['db']"
    assert first["data"] == {"value": [1, 2], "route": "/checkout"}
    assert "level" not in first and "event_id" not in first
    assert second["level"] == "warning"
    assert_valid_event(event)


def test_a_captured_event_with_odd_fields_is_sent_valid(transport: CapturingTransport) -> None:
    def body() -> None:
        scopetel.capture_event(
            {
                "event_id": "not-a-hex-id",
                "message": "custom",
                "level": "warn",
                "fingerprint": "checkout",
                "user": {"id": [7], "email": 5, "ip_address": "nope"},
                "shop": "acme",  # not an event field: moved to extra
            }
        )

    _run(body)
    (envelope,) = transport.envelopes
    parsed = parse_envelope(serialize_envelope(envelope))  # the header was unserializable
    event = parsed.items[0].json()
    assert parsed.headers["event_id"] == event["event_id"] != "not-a-hex-id"
    assert len(event["event_id"]) == 32 and int(event["event_id"], 16) >= 0
    assert event["level"] == "warning"
    assert event["fingerprint"] == ["checkout"]
    assert event["extra"]["shop"] == "acme"
    assert event["user"] == {"id": "[7]", "email": "5"}
    assert_valid_event(event)


def test_unknown_keys_join_an_extra_given_as_none(transport: CapturingTransport) -> None:
    """Found by the fuzz: ``{"extra": None, "shop": ...}`` raised while merging."""
    _run(lambda: scopetel.capture_event({"message": "m", "extra": None, "shop": "acme"}))
    (event,) = transport.events()
    assert event["extra"] == {"shop": "acme"}
    assert_valid_event(event)
