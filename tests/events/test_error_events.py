"""Error and message events: content, scope merging, hooks, sampling; all Relay-valid."""

import sys
from collections.abc import Iterator

import pytest

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0, release="shop@1.2.3", environment="test") as t:
        yield t
    for event in t.events():
        assert_valid_event(event)


def _fail() -> None:
    try:
        {}["missing"]
    except KeyError as error:
        raise RuntimeError("checkout failed") from error


def test_capture_exception_returns_the_id_of_a_complete_event(transport) -> None:
    try:
        _fail()
    except RuntimeError:
        event_id = scopetel.capture_exception()
    assert event_id is not None and len(event_id) == 32
    (event,) = transport.events()
    assert event["event_id"] == event_id
    assert scopetel.last_event_id() == event_id
    values = event["exception"]["values"]
    assert [value["type"] for value in values] == ["KeyError", "RuntimeError"]
    assert values[-1]["value"] == "checkout failed"
    frame = values[-1]["stacktrace"]["frames"][-1]
    assert frame["function"] == "_fail"
    assert frame["context_line"].strip() == 'raise RuntimeError("checkout failed") from error'
    assert frame["in_app"] is True
    assert event["release"] == "shop@1.2.3" and event["environment"] == "test"
    assert event["platform"] == "python" and event["level"] == "error"
    assert_valid_event(event)


def test_error_event_is_linked_to_the_active_span(transport) -> None:
    with scopetel.start_transaction(name="checkout", op="http.server") as root:
        with scopetel.start_span(op="db", name="select") as child:
            scopetel.capture_exception(ValueError("bad"))
    trace = transport.events()[0]["contexts"]["trace"]
    assert trace["trace_id"] == root.trace_id
    assert trace["span_id"] == child.span_id
    assert trace["parent_span_id"] == root.span_id
    assert trace["op"] == "db"


def test_scope_data_merges_global_then_isolation_then_current(transport) -> None:
    scopetel.get_global_scope().set_tag("layer", "global")
    scopetel.get_global_scope().set_tag("only_global", "g")
    try:
        with scopetel.isolation_scope() as isolation:
            isolation.set_tag("layer", "isolation")
            isolation.set_user({"id": "42"})
            with scopetel.new_scope() as current:
                current.set_tag("layer", "current")
                current.set_context("cart", {"items": 3})
                scopetel.set_extra("coupon", "XMAS")
                scopetel.add_breadcrumb(category="auth", message="logged in")
                scopetel.capture_message("checkout", level="warning")
    finally:
        scopetel.get_global_scope().clear()
    (event,) = transport.events()
    assert event["tags"] == {"layer": "current", "only_global": "g"}
    assert event["user"] == {"id": "42"}
    assert event["contexts"]["cart"] == {"items": 3}
    assert event["extra"]["coupon"] == "XMAS"
    assert event["level"] == "warning" and event["message"] == "checkout"
    assert [crumb["message"] for crumb in event["breadcrumbs"]["values"]] == ["logged in"]


def test_before_send_can_edit_and_drop_and_drops_are_counted() -> None:
    def before_send(event: dict, hint: dict) -> dict | None:
        if "drop" in event.get("message", ""):
            return None
        event["tags"] = {"edited": "yes"}
        return event

    with capture_envelopes(before_send=before_send) as transport:
        assert scopetel.capture_message("drop me") is None
        assert scopetel.capture_message("keep me") is not None
    (event,) = transport.events()
    assert event["message"] == "keep me" and event["tags"] == {"edited": "yes"}
    assert transport.lost[("before_send", "error")] == 1


def test_sample_rate_zero_drops_errors_and_reports_them() -> None:
    with capture_envelopes(sample_rate=0.0) as transport:
        assert scopetel.capture_exception(ValueError("x")) is None
    assert transport.events() == []
    assert transport.lost[("sample_rate", "error")] == 1


def test_ignore_errors_by_class_and_by_name() -> None:
    class Boring(Exception):
        pass

    with capture_envelopes(ignore_errors=[KeyError, "Boring"]) as transport:
        assert scopetel.capture_exception(KeyError("k")) is None
        assert scopetel.capture_exception(Boring()) is None
        assert scopetel.capture_exception(ValueError("v")) is not None
    assert [e["exception"]["values"][-1]["type"] for e in transport.events()] == ["ValueError"]


def test_breadcrumbs_are_bounded_and_filtered() -> None:
    def before_breadcrumb(crumb: dict, hint: dict) -> dict | None:
        return None if crumb.get("category") == "secret" else crumb

    with capture_envelopes(max_breadcrumbs=3, before_breadcrumb=before_breadcrumb) as transport:
        with scopetel.isolation_scope():
            for i in range(5):
                scopetel.add_breadcrumb(message=f"step {i}")
            scopetel.add_breadcrumb(category="secret", message="password")
            scopetel.capture_message("done")
    crumbs = transport.events()[0]["breadcrumbs"]["values"]
    assert [crumb["message"] for crumb in crumbs] == ["step 2", "step 3", "step 4"]


def test_attach_stacktrace_adds_the_callers_frames_to_messages() -> None:
    with capture_envelopes(attach_stacktrace=True) as transport:
        scopetel.capture_message("where am I")
    frames = transport.events()[0]["threads"]["values"][0]["stacktrace"]["frames"]
    assert frames[-1]["function"].endswith(
        "test_attach_stacktrace_adds_the_callers_frames_to_messages"
    )
    assert_valid_event(transport.events()[0])


def test_local_variables_are_sent_and_broken_reprs_do_not_fail(transport) -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    def explode() -> None:
        order_id = 1234
        thing = Broken()
        raise ValueError(f"order {order_id} {id(thing)}")

    try:
        explode()
    except ValueError:
        scopetel.capture_exception()
    frame = transport.events()[0]["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert frame["vars"]["order_id"] == 1234 or frame["vars"]["order_id"] == "1234"
    assert "thing" in frame["vars"]


def test_capture_without_a_dsn_is_a_working_no_op() -> None:
    scopetel.init(dsn=None)
    assert scopetel.is_initialized()
    assert scopetel.capture_message("nowhere") is None
    with scopetel.start_transaction(name="still works") as transaction:
        with scopetel.start_span(op="x"):
            pass
    assert transaction.trace_id != "0" * 32
    assert scopetel.flush(timeout=1.0)


def test_init_rejects_bad_options_clearly() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'traces_sample_rat'"):
        scopetel.init(traces_sample_rat=1.0)
    with pytest.raises(ValueError, match="traces_sample_rate must be between 0 and 1"):
        scopetel.init(traces_sample_rate=7)
    with pytest.raises(TypeError, match="before_send must be callable"):
        scopetel.init(before_send="nope")
    with pytest.raises(ValueError, match="DSN"):
        scopetel.init(dsn="not a dsn")
    with pytest.raises(TypeError, match="capture_envelope"):
        scopetel.init(transport=object())


def test_environment_variables_fill_absent_keywords(monkeypatch) -> None:
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "staging")
    monkeypatch.setenv("SENTRY_RELEASE", "env@1")
    monkeypatch.setenv("SENTRY_TRACES_SAMPLE_RATE", "abc")  # invalid: logged, default used
    with capture_envelopes(release="kw@2") as transport:
        scopetel.capture_message("hello")
    event = transport.events()[0]
    assert event["environment"] == "staging"
    assert event["release"] == "kw@2"


def test_init_twice_reconfigures_cleanly() -> None:
    with capture_envelopes(environment="first") as first:
        pass
    with capture_envelopes(environment="second") as second:
        scopetel.capture_message("to second")
    assert first.events() == []
    assert [event["environment"] for event in second.events()] == ["second"]


def test_exception_groups_are_reported(transport) -> None:
    try:
        raise ExceptionGroup("many", [ValueError("a"), TypeError("b")])
    except ExceptionGroup:
        scopetel.capture_exception()
    types = [value["type"] for value in transport.events()[0]["exception"]["values"]]
    assert {"ExceptionGroup", "ValueError", "TypeError"} <= set(types)


def test_sys_exc_info_tuple_is_accepted(transport) -> None:
    try:
        raise LookupError("tuple form")
    except LookupError:
        scopetel.capture_exception(sys.exc_info())
    assert transport.events()[0]["exception"]["values"][-1]["value"] == "tuple form"


def test_secrets_are_scrubbed_from_extras_contexts_and_breadcrumbs(transport) -> None:
    with scopetel.isolation_scope():
        scopetel.set_extra("db_password", "hunter2")
        scopetel.set_context("api", {"Authorization": "Bearer abc", "region": "eu"})
        scopetel.add_breadcrumb(message="login", data={"session_id": "s3cr3t", "user": "bob"})
        scopetel.capture_message("scrub me")
    event = transport.events()[0]
    assert event["extra"]["db_password"] == "[Filtered]"
    assert event["contexts"]["api"] == {"Authorization": "[Filtered]", "region": "eu"}
    crumb = event["breadcrumbs"]["values"][0]["data"]
    assert crumb == {"session_id": "[Filtered]", "user": "bob"}
