"""sentry_sdk 1.x's Hub, configure_scope() and push_scope(): deprecated, warning as
sentry_sdk 2.75 warns, and working over scopetel's Context-held scopes."""

import threading
import warnings

import pytest

import scopetel as sentry_sdk
from scopetel import Hub
from scopetel.hub import SentryHubDeprecationWarning
from scopetel.testing import CapturingTransport


def _tags(transport: CapturingTransport) -> list[dict[str, object]]:
    return [event.get("tags", {}) for event in transport.events()]


def test_configure_scope_both_forms_set_data_that_stays(transport: CapturingTransport) -> None:
    with pytest.warns(DeprecationWarning, match="configure_scope"):
        with sentry_sdk.configure_scope() as scope:
            scope.set_tag("region", "eu")
    with pytest.warns(DeprecationWarning):
        sentry_sdk.configure_scope(lambda scope: scope.set_tag("deployment", "blue"))
    assert scope is sentry_sdk.get_isolation_scope()
    sentry_sdk.capture_message("later")
    assert _tags(transport) == [{"region": "eu", "deployment": "blue"}]


def test_push_scope_data_is_for_the_block_only(transport: CapturingTransport) -> None:
    sentry_sdk.set_tag("service", "exporter")
    with pytest.warns(DeprecationWarning, match="push_scope"):
        with sentry_sdk.push_scope() as scope:
            scope.set_tag("export", "csv")
            scope.level = "warning"
            sentry_sdk.capture_message("inside")
    with pytest.warns(DeprecationWarning):
        sentry_sdk.push_scope(lambda scope: scope.set_extra("job_id", 5))
    sentry_sdk.capture_message("after")
    inside, after = transport.events()
    assert inside["tags"] == {"service": "exporter", "export": "csv"}
    assert inside["level"] == "warning"
    assert after["tags"] == {"service": "exporter"} and "job_id" not in after["extra"]


def test_push_scope_left_out_of_order_or_in_another_thread_never_raises(
    transport: CapturingTransport,
) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    first, second = sentry_sdk.push_scope(), sentry_sdk.push_scope()
    assert first is not None and second is not None
    first.__enter__().set_tag("first", "yes")
    second.__enter__().set_tag("second", "yes")
    first.__exit__(None, None, None)  # out of order
    leaver = threading.Thread(target=second.__exit__, args=(None, None, None))
    leaver.start()
    leaver.join()
    second.__exit__(None, None, None)
    sentry_sdk.capture_message("after both")
    assert _tags(transport) == [{}]


def test_the_deprecation_warnings_are_sentry_sdk_s() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sentry_sdk.configure_scope():
            pass
        with sentry_sdk.push_scope():
            pass
        hub = Hub.current
        hub.capture_message("no warning for the hub's methods")
        Hub(hub)
        assert Hub.main.scope is not None
    kinds = [warning.category for warning in caught]
    hub_warnings = [SentryHubDeprecationWarning] * 3
    assert kinds == [DeprecationWarning, DeprecationWarning, *hub_warnings]
    assert all(issubclass(kind, DeprecationWarning) for kind in kinds)
    assert all(warning.filename == __file__ for warning in caught)  # the caller's line


def test_hub_current_captures_and_reaches_the_scopes(transport: CapturingTransport) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    hub = Hub.current
    assert hub.client is not None and hub.client is sentry_sdk.get_client()
    assert hub.scope is sentry_sdk.get_isolation_scope()
    hub.scope.set_tag("via", "hub")
    with hub.configure_scope() as scope:
        scope.set_extra("legacy", True)
    event_id = hub.capture_message("through the hub")
    try:
        raise OSError("disk quota")
    except OSError:
        hub.capture_exception()
    with hub.start_transaction(op="task", name="hub-transaction") as transaction:
        with hub.start_span(op="step", name="inner") as span:
            assert span.parent_span_id == transaction.span_id
            assert hub.get_traceparent() == span.to_traceparent()
            headers = dict(hub.iter_trace_propagation_headers())
            assert headers["sentry-trace"] == span.to_traceparent()
            assert '<meta name="sentry-trace"' in hub.trace_propagation_meta()
    hub.add_breadcrumb(message="by the hub")
    hub.flush()
    message, error = transport.events()
    assert event_id == message["event_id"] and hub.last_event_id() == error["event_id"]
    assert message["tags"] == {"via": "hub"} and message["extra"]["legacy"] is True
    assert error["exception"]["values"][0]["type"] == "OSError"
    assert [t["transaction"] for t in transport.transactions()] == ["hub-transaction"]
    crumbs = sentry_sdk.get_isolation_scope().data.breadcrumbs
    assert [crumb.get("message") for crumb in crumbs] == ["by the hub"]


def test_hub_clones_in_threads_keep_their_scopes_apart(transport: CapturingTransport) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    sentry_sdk.set_tag("app", "mailer")

    def work(hub: Hub, name: str) -> None:
        with Hub(hub) as thread_hub:
            assert Hub.current is thread_hub
            with thread_hub.push_scope() as scope:
                scope.set_tag("worker", name)
                thread_hub.capture_message(f"{name} done")
            thread_hub.scope.set_tag("leaked", name)  # on the clone's own fork

    threads = [threading.Thread(target=work, args=(Hub.current, f"w{i}")) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sentry_sdk.capture_message("main")
    by_message = {event["message"]: event["tags"] for event in transport.events()}
    assert by_message == {
        **{f"w{i} done": {"app": "mailer", "worker": f"w{i}"} for i in range(3)},
        "main": {"app": "mailer"},
    }


def test_with_hub_enters_its_scopes_and_leaving_restores(transport: CapturingTransport) -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    outer = sentry_sdk.get_isolation_scope()
    clone = Hub(Hub.current)
    with clone:
        assert sentry_sdk.get_isolation_scope() is clone.scope is not outer
        clone.scope.set_tag("inside", "yes")
        assert clone.run(lambda: Hub.current) is clone
    assert sentry_sdk.get_isolation_scope() is outer
    assert "inside" not in outer.data.tags
    assert Hub.current is not clone
