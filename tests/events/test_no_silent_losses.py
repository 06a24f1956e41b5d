"""Odd data never loses an event or a transaction, and a loss is counted (issue 12, item 8).

Before: one breadcrumb with deeply nested data made every later event of its isolation
scope disappear; a deep or hostile span name lost the transaction;
``set_context("runtime"|"otel"|"trace", deep)`` lost every item of the scope; extras
holding dict subclasses whose iteration raises, and an event processor returning a
non-dict, lost the event. Serialization is now total, and what an internal error
still stops is counted in client reports as ``internal_sdk_error``.
"""

import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import scopetel
from scopetel._internal_errors import raise_internal_errors
from scopetel._pipeline import transaction_events
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.hostile import Hostile, HostileDict, HostileList, cyclic, deep_dict, deep_list
from tests.support.relay import assert_valid_event

DEEP = 50_000  # far past the interpreter's recursion limit


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as capturing:
        yield capturing


def _isolated(body: Callable[[], object]) -> None:
    def run() -> None:
        with scopetel.isolation_scope():
            body()
        scopetel.flush()

    contextvars.copy_context().run(run)


def test_a_deep_breadcrumb_loses_no_later_event(transport: CapturingTransport) -> None:
    def body() -> None:
        scopetel.add_breadcrumb(message="loaded", data={"tree": deep_list(DEEP)})
        scopetel.add_breadcrumb(message="cycle", data=cyclic())
        for number in range(3):
            scopetel.capture_message(f"event {number}")

    _isolated(body)
    events = transport.events()
    assert [event["message"] for event in events] == ["event 0", "event 1", "event 2"]
    for event in events:
        assert [crumb["message"] for crumb in event["breadcrumbs"]["values"]] == [
            "loaded",
            "cycle",
        ]
        assert_valid_event(event)


@pytest.mark.parametrize(
    "name",
    [deep_list(DEEP), deep_dict(DEEP), Hostile(), cyclic()],
    ids=lambda value: type(value).__name__,
)
def test_a_deep_or_hostile_span_name_loses_no_transaction(
    transport: CapturingTransport, name: object
) -> None:
    def body() -> None:
        with scopetel.start_transaction(name=name, op="task"):
            with scopetel.start_span(op="db", name=name):  # type: ignore[arg-type]
                pass

    _isolated(body)
    (transaction,) = transport.transactions()
    assert isinstance(transaction["transaction"], str)
    assert isinstance(transaction["spans"][0]["description"], str)
    assert_valid_event(transaction)


@pytest.mark.parametrize("name", ["runtime", "otel", "trace", "app"])
def test_a_deep_context_keeps_the_scope_items(transport: CapturingTransport, name: str) -> None:
    def body() -> None:
        scopetel.set_tag("tenant", "acme")
        scopetel.set_extra("cart", {"items": 3})
        scopetel.set_context(name, {"tree": deep_dict(DEEP)})
        scopetel.capture_message("checkout failed")

    _isolated(body)
    (event,) = transport.events()
    assert event["tags"]["tenant"] == "acme"
    assert event["extra"]["cart"] == {"items": 3}
    assert len(event["contexts"]["trace"]["trace_id"]) == 32  # never replaced by user data
    assert_valid_event(event)


def test_containers_whose_iteration_raises_lose_no_event(transport: CapturingTransport) -> None:
    def body() -> None:
        scopetel.set_extra("broken dict", HostileDict({"a": 1}))
        scopetel.set_extra("broken list", HostileList([1, 2]))
        scopetel.set_context("broken", HostileDict({"b": 2}))
        scopetel.set_user(HostileDict({"id": "7"}))
        scopetel.set_tag("tenant", "acme")
        scopetel.capture_message("still sent")

    _isolated(body)
    (event,) = transport.events()
    assert event["tags"]["tenant"] == "acme"
    assert isinstance(event["extra"]["broken dict"], str)  # shown by its text
    assert_valid_event(event)


@pytest.mark.parametrize(
    "returned", [5, "event", ["a"], Hostile()], ids=lambda value: type(value).__name__
)
def test_an_event_processor_returning_no_dict_keeps_the_event(
    transport: CapturingTransport, returned: Any
) -> None:
    def body() -> None:
        scopetel.get_isolation_scope().add_event_processor(lambda event, hint: returned)
        scopetel.capture_message("kept")
        with scopetel.start_transaction(name="kept too"):
            pass

    _isolated(body)
    assert [event["message"] for event in transport.events()] == ["kept"]
    assert [event["transaction"] for event in transport.transactions()] == ["kept too"]


def _fail(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("an internal error")


def test_an_internal_error_is_counted_never_silent(
    transport: CapturingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last resort: a bug in scopetel loses the item, but says so in client reports."""
    monkeypatch.setattr("scopetel._client.finalize", _fail)
    monkeypatch.setattr(transaction_events, "finalize", _fail)
    raise_internal_errors(False)
    try:

        def body() -> None:
            assert scopetel.capture_message("lost") is None
            with scopetel.start_transaction(name="lost"):
                with scopetel.start_span(op="child"):
                    pass

        _isolated(body)
    finally:
        raise_internal_errors(True)
    assert transport.events() == [] and transport.transactions() == []
    assert transport.lost[("internal_sdk_error", "error")] == 1
    assert transport.lost[("internal_sdk_error", "transaction")] == 1
    assert transport.lost[("internal_sdk_error", "span")] == 2
