"""Sentry semantics at the edges of the API: sampling switches, data set early, odd values."""

import contextvars
import datetime
import functools
import logging
from collections.abc import Callable
from typing import Any

import scopetel
from scopetel._internal_errors import raise_internal_errors
from scopetel.testing import capture_envelopes

UPSTREAM_SENTRY_TRACE = "771a43a4192642f0b136d5159a501700-b3a1f0c24e5d6a7f-1"


def isolated(test: Callable[..., None]) -> Callable[..., None]:
    """Run the test body in a copy of the Context (stale state stays in the copy)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        contextvars.copy_context().run(test, *args, **kwargs)

    return run


# -- 2. Sentry semantics ------------------------------------------------------------------


@isolated
def test_sensitive_local_variables_are_scrubbed_by_default() -> None:
    def login(username: str, password: str) -> None:
        api_key = "sk_live_123"  # noqa: F841 - a local the event shows
        raise ValueError("bad login")

    with capture_envelopes() as transport:
        try:
            login("bob", "hunter2")
        except ValueError:
            scopetel.capture_exception()
    frames = transport.events()[0]["exception"]["values"][-1]["stacktrace"]["frames"]
    values = str([frame.get("vars") for frame in frames])  # source lines may show literals
    assert "hunter2" not in values and "sk_live_123" not in values
    assert frames[-1]["vars"]["password"] == "[Filtered]"
    assert "bob" in frames[-1]["vars"]["username"]


@isolated
def test_no_transactions_without_tracing_options() -> None:
    with capture_envelopes() as transport:  # errors only
        incoming = scopetel.continue_trace({"sentry-trace": UPSTREAM_SENTRY_TRACE}, name="GET /")
        with scopetel.start_transaction(incoming):
            pass
        scopetel.flush()
    assert transport.transactions() == []


@isolated
def test_start_transaction_sampled_kwarg_forces_decision() -> None:
    with capture_envelopes(traces_sample_rate=0.0) as transport:
        with scopetel.start_transaction(name="forced", sampled=True):
            pass
        with scopetel.start_transaction(name="refused", sampled=False):
            pass
        scopetel.flush()
    assert [event["transaction"] for event in transport.transactions()] == ["forced"]


@isolated
def test_transaction_data_set_before_start_is_kept() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        transaction = scopetel.continue_trace({}, op="http.server", name="GET /")
        transaction.set_tag("tenant", "acme")
        transaction.set_data("request.size", 12)
        with scopetel.start_transaction(transaction):
            pass
        scopetel.flush()
    (event,) = transport.transactions()
    assert event.get("tags", {}).get("tenant") == "acme"
    assert event["contexts"]["trace"].get("data", {}).get("request.size") == 12


@isolated
def test_start_span_with_attributes_without_parent_does_not_raise() -> None:
    with capture_envelopes(traces_sample_rate=1.0):
        with scopetel.start_span(op="task", name="job", attributes={"job.id": 7}):
            pass


@isolated
def test_breadcrumb_with_datetime_timestamp_does_not_drop_events() -> None:
    raise_internal_errors(False)
    logging.getLogger("scopetel").disabled = True
    try:
        with capture_envelopes() as transport:
            with scopetel.isolation_scope():
                now = datetime.datetime.now(datetime.UTC)
                scopetel.add_breadcrumb(message="logged in", timestamp=now)
                scopetel.add_breadcrumb(message="clicked")
                event_id = scopetel.capture_message("checkout failed")
    finally:
        raise_internal_errors(True)
        logging.getLogger("scopetel").disabled = False
    assert event_id is not None
    assert len(transport.events()) == 1


@isolated
def test_setters_never_raise_on_odd_values() -> None:
    class Detached:  # like an ORM instance whose __repr__ needs a closed session
        def __repr__(self) -> str:
            raise RuntimeError("detached instance")

    failures = []
    with capture_envelopes(traces_sample_rate=1.0):
        with scopetel.start_transaction(name="odd") as transaction:
            calls: list[tuple[str, Callable[[], object]]] = [
                ("set_data", lambda: transaction.set_data("user", Detached())),
                ("set_user", lambda: scopetel.set_user("bob")),  # type: ignore[arg-type]
                ("set_context", lambda: scopetel.set_context("k", "v")),  # type: ignore[arg-type]
                ("span.set_tag", lambda: transaction.set_tag(1, "v")),  # type: ignore[arg-type]
                ("set_measurement", lambda: scopetel.set_measurement("ttfb", "12ms")),  # type: ignore[arg-type]
            ]
            for name, call in calls:
                try:
                    call()
                except Exception as error:
                    failures.append(f"{name}: {error!r}")
    assert failures == []
