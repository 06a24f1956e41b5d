"""sentry_sdk's Scope members real code uses, on scopetel's scopes: the classmethods,
breadcrumbs and processors, properties, the scope's span and transaction, captures."""

import threading
import warnings
from typing import Any

import pytest

import scopetel as sentry_sdk
from scopetel import Scope
from scopetel.testing import CapturingTransport, capture_envelopes


def test_classmethods_are_the_active_scopes_and_client(transport: CapturingTransport) -> None:
    assert Scope.get_current_scope() is sentry_sdk.get_current_scope()
    assert Scope.get_isolation_scope() is sentry_sdk.get_isolation_scope()
    assert Scope.get_global_scope() is sentry_sdk.get_global_scope()
    assert Scope.get_client() is sentry_sdk.get_client() and Scope.get_client().is_active()
    event_id = sentry_sdk.capture_message("one")
    assert Scope.last_event_id() == event_id == sentry_sdk.get_current_scope().last_event_id()


def test_scope_breadcrumbs_go_through_before_breadcrumb() -> None:
    def before_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
        if crumb.get("category") == "noise":
            return None
        crumb["data"] = {"hinted": hint.get("source")}
        return crumb

    with sentry_sdk.isolation_scope() as scope:
        with capture_envelopes(before_breadcrumb=before_breadcrumb) as transport:
            scope.add_breadcrumb(category="navigation", message="to /receipt", hint=None)
            scope.add_breadcrumb({"category": "ui"}, {"source": "click"}, message="checkout")
            scope.add_breadcrumb(category="noise")
            sentry_sdk.capture_message("done")
    crumbs = transport.events()[0]["breadcrumbs"]["values"]
    assert [(c["category"], c["message"]) for c in crumbs] == [
        ("navigation", "to /receipt"),
        ("ui", "checkout"),
    ]
    assert crumbs[1]["data"] == {"hinted": "click"}
    assert all(isinstance(c["timestamp"], str) for c in crumbs)  # ISO 8601, as sentry_sdk


def test_error_processors_run_for_their_exception_class(transport: CapturingTransport) -> None:
    seen: list[type[BaseException]] = []

    def retryable(event: dict[str, Any], exc_info: Any) -> dict[str, Any]:
        seen.append(exc_info[0])
        event.setdefault("tags", {})["retryable"] = "yes"
        return event

    scope = sentry_sdk.get_isolation_scope()
    scope.add_error_processor(retryable, TimeoutError)
    scope.add_error_processor(lambda event, exc_info: None, KeyError)  # drops those
    for error in (TimeoutError("slow"), ValueError("bad"), KeyError("gone")):
        try:
            raise error
        except Exception:
            sentry_sdk.capture_exception()
    sentry_sdk.capture_message("no exception: not an error processor's")
    events = transport.events()
    assert [e.get("tags", {}).get("retryable") for e in events] == ["yes", None, None]
    assert [e["exception"]["values"][0]["type"] for e in events[:2]] == [
        "TimeoutError",
        "ValueError",
    ]
    assert seen == [TimeoutError] and transport.lost[("event_processor", "error")] == 1


def test_properties_user_level_fingerprint_and_clear(transport: CapturingTransport) -> None:
    scope = sentry_sdk.get_current_scope()
    with pytest.warns(DeprecationWarning, match="set_user"):
        scope.user = {"id": "7"}
    scope.level = "warning"
    scope.fingerprint = ["{{ default }}", "checkout"]
    scope.set_tag("temporary", "yes")
    assert (scope.user, scope.level, scope.fingerprint) == (
        {"id": "7"},
        "warning",
        ["{{ default }}", "checkout"],
    )
    scope.clear()
    assert scope.user is None and scope.level is None and scope.data.tags == {}
    scope.set_transaction_name("checkout")
    sentry_sdk.capture_message("after clear")
    (event,) = transport.events()
    assert event["transaction"] == "checkout" and event["transaction_info"] == {}
    assert "tags" not in event or event["tags"] == {}


def test_scope_span_and_transaction_inside_a_transaction(transport: CapturingTransport) -> None:
    with sentry_sdk.start_transaction(op="task", name="original") as transaction:
        scope = sentry_sdk.get_current_scope()
        assert scope.span is transaction and scope.transaction is transaction
        with sentry_sdk.start_span(op="step", name="inner") as span:
            inner = sentry_sdk.get_current_scope()
            assert inner.span is span and inner.transaction is transaction
        assert scope.span is transaction  # the enclosing block's scope still has its own
        scope.transaction = "renamed-by-scope"
        sentry_sdk.capture_message("inside")
    assert sentry_sdk.get_current_scope().span is None
    (event,) = transport.events()
    (sent,) = transport.transactions()
    assert event["transaction"] == sent["transaction"] == "renamed-by-scope"
    assert sent["transaction_info"] == {"source": "custom"}


def test_set_transaction_name_on_the_scope_renames_the_running_transaction(
    transport: CapturingTransport,
) -> None:
    with sentry_sdk.start_transaction(op="queue.task", name="task"):
        sentry_sdk.get_current_scope().set_transaction_name("tasks.send_digest", source="task")
    with sentry_sdk.start_transaction(op="http.server", name="GET /x", source="route"):
        sentry_sdk.set_transaction_name("renamed")  # no source: the transaction keeps its own
    first, second = transport.transactions()
    assert (first["transaction"], first["transaction_info"]) == (
        "tasks.send_digest",
        {"source": "task"},
    )
    assert (second["transaction"], second["transaction_info"]) == (
        "renamed",
        {"source": "route"},
    )


def test_setting_scope_span_makes_it_active_until_the_block_ends(
    transport: CapturingTransport,
) -> None:
    transaction = sentry_sdk.start_transaction(op="task", name="manual")
    with sentry_sdk.new_scope() as scope:
        scope.span = transaction  # sentry_sdk 1.x style, without entering the transaction
        assert sentry_sdk.get_current_span() is transaction
        with sentry_sdk.start_span(op="child") as child:
            assert child.parent_span_id == transaction.span_id
        sentry_sdk.capture_message("under the set span")
    assert sentry_sdk.get_current_span() is None  # the block's exit restored the Context
    transaction.finish()
    (event,) = transport.events()
    assert event["contexts"]["trace"]["span_id"] == transaction.span_id
    assert [span["op"] for span in transport.transactions()[0]["spans"]] == ["child"]


def test_a_scope_held_aside_keeps_its_span_and_adds_its_data(
    transport: CapturingTransport,
) -> None:
    held: list[Scope] = []
    with sentry_sdk.start_transaction(op="task", name="held") as transaction:
        held.append(sentry_sdk.get_current_scope())
        held[0].set_tag("from", "held scope")
    scope = held[0]
    assert scope.span is transaction  # not current any more: the span it was made for
    assert scope.get_traceparent() == transaction.to_traceparent()
    baggage = scope.get_baggage()
    assert baggage is not None and "sentry-trace_id=" + transaction.trace_id in baggage
    assert baggage.serialize() == baggage
    scope.capture_message("with the held scope's data")
    assert transport.events()[0]["tags"] == {"from": "held scope"}


def test_start_transaction_and_start_span_on_a_scope(transport: CapturingTransport) -> None:
    scope = sentry_sdk.get_current_scope()
    with scope.start_transaction(name="on-scope", op="task") as transaction:
        with sentry_sdk.get_current_scope().start_span(op="db", name="SELECT 1") as span:
            assert span.parent_span_id == transaction.span_id
    (sent,) = transport.transactions()
    assert sent["transaction"] == "on-scope"
    assert [(s["op"], s["description"]) for s in sent["spans"]] == [("db", "SELECT 1")]


def test_set_attribute_is_kept_on_the_isolation_scope(transport: CapturingTransport) -> None:
    sentry_sdk.set_attribute("tenant", "acme")
    sentry_sdk.set_attributes({"tier": 2, "beta": True, "ratio": 0.5, "tags": ["a"]})
    sentry_sdk.remove_attribute("tier")
    attributes = sentry_sdk.get_isolation_scope().data.attributes
    assert attributes == {"tenant": "acme", "beta": True, "ratio": 0.5, "tags": '["a"]'}
    with sentry_sdk.start_transaction(name="no attributes on transactions"):
        pass
    assert "tenant" not in str(transport.transactions()[0])


def test_update_current_span(transport: CapturingTransport) -> None:
    sentry_sdk.update_current_span(op="ignored", name="no span active")
    with sentry_sdk.start_transaction(op="task", name="batch"):
        with sentry_sdk.start_span(op="function", name="step"):
            sentry_sdk.update_current_span(
                op="function.user", name="process_user_data", attributes={"user_id": 123}
            )
            with pytest.warns(DeprecationWarning, match="attributes"):
                sentry_sdk.update_current_span(data={"batch": 50})
    (span,) = transport.transactions()[0]["spans"]
    assert (span["op"], span["description"]) == ("function.user", "process_user_data")
    assert span["data"]["user_id"] == 123 and span["data"]["batch"] == 50


def test_bool_and_int_tags_are_sent_as_sentry_sdk_sends_them(
    transport: CapturingTransport,
) -> None:
    sentry_sdk.set_tags({"active": True, "shard": 3, "ratio": 0.5, "huge": 2**70})
    with sentry_sdk.start_transaction(name="tagged"):
        sentry_sdk.capture_message("tagged")
    expected = {"active": True, "shard": 3, "ratio": "0.5", "huge": str(2**70)}
    assert transport.events()[0]["tags"] == expected
    assert transport.transactions()[0]["tags"] == expected


def test_scope_members_never_raise_on_junk(transport: CapturingTransport) -> None:
    scope = sentry_sdk.get_current_scope()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scope.user = "not a dict"  # type: ignore[assignment]
    scope.span = "not a span"
    scope.add_error_processor("not callable")  # type: ignore[arg-type]
    scope.add_breadcrumb("not a dict")  # type: ignore[arg-type]
    scope.set_attributes(None)  # type: ignore[arg-type]
    scope.transaction = 42  # type: ignore[assignment]
    thread = threading.Thread(target=lambda: setattr(scope, "span", None))
    thread.start()
    thread.join()
    assert scope.span is None
