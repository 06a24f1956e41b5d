"""The sentry_sdk modules code imports from (utils, consts, types, tracing, scrubber,
traces, scope), run as sentry_sdk code runs them, and the data details that go with them."""

import importlib
import logging
import warnings
from typing import Any

import pytest

import scopetel as sentry_sdk
import scopetel.scope
from scopetel.consts import DEFAULT_MAX_VALUE_LENGTH, OP, SPANDATA, SPANSTATUS, VERSION
from scopetel.scope import ScopeType, add_global_event_processor, should_send_default_pii
from scopetel.scrubber import DEFAULT_DENYLIST, DEFAULT_PII_DENYLIST, EventScrubber
from scopetel.testing import CapturingTransport, capture_envelopes
from scopetel.tracing import NoOpSpan, Span, Transaction, TransactionSource
from scopetel.types import Event, Hint
from scopetel.utils import (
    BadDsn,
    capture_internal_exceptions,
    event_from_exception,
    exc_info_from_error,
    format_timestamp,
)


def test_every_module_is_reachable_under_the_sentry_sdk_name() -> None:
    names = ("api", "hub", "scope", "utils", "types", "scrubber", "consts", "tracing")
    for name in (*names, "transport", "envelope", "traces"):
        module = importlib.import_module(f"sentry_sdk.{name}")
        assert module is importlib.import_module(f"scopetel.{name}")
    assert sentry_sdk.VERSION == VERSION and VERSION.startswith("2.")


def test_utils_build_an_event_by_hand(transport: CapturingTransport) -> None:
    with pytest.raises(BadDsn):
        sentry_sdk.utils.Dsn("not a dsn")
    with capture_internal_exceptions():
        raise RuntimeError("swallowed")
    try:
        raise ArithmeticError("rounding overflow")
    except ArithmeticError as error:
        assert exc_info_from_error(error)[1] is error
        event, hint = event_from_exception(error, client_options=sentry_sdk.get_client().options)
    event["tags"] = {"built": "by hand"}
    sentry_sdk.capture_event(event, hint=hint)
    (sent,) = transport.events()
    assert sent["exception"]["values"][0]["type"] == "ArithmeticError"
    assert sent["exception"]["values"][0]["mechanism"] == {"type": "generic", "handled": True}
    assert sent["tags"] == {"built": "by hand"}
    assert format_timestamp(__import__("datetime").datetime(2024, 6, 1, 12)) == (
        "2024-06-01T12:00:00.000000Z"
    )


def test_consts_and_types_have_sentry_sdk_s_values() -> None:
    assert (OP.DB, OP.HTTP_CLIENT, OP.QUEUE_TASK_CELERY, OP.FUNCTION) == (
        "db",
        "http.client",
        "queue.task.celery",
        "function",
    )
    assert (SPANDATA.DB_SYSTEM, SPANDATA.HTTP_STATUS_CODE) == (
        "db.system",
        "http.response.status_code",
    )
    assert SPANSTATUS.NOT_FOUND == "not_found" and DEFAULT_MAX_VALUE_LENGTH is None

    def before_send(event: Event, hint: Hint) -> Event:
        return event

    assert before_send({}, {}) == {}
    assert ScopeType.ISOLATION.value == sentry_sdk.get_isolation_scope().kind


def test_max_value_length_none_means_the_highest_limit() -> None:
    with capture_envelopes(max_value_length=DEFAULT_MAX_VALUE_LENGTH) as transport:
        sentry_sdk.capture_message("x" * 5000)
    assert len(transport.events()[0]["message"]) == 5000


def test_tracing_classes_and_sources(transport: CapturingTransport) -> None:
    transaction = Transaction(name="tasks.rebuild", op="queue.task", source=TransactionSource.TASK)
    with sentry_sdk.start_transaction(transaction) as running:
        with running.start_child(op="image.resize", description="thumb") as child:
            assert isinstance(child, Span)
        with NoOpSpan() as nothing:
            assert sentry_sdk.get_current_span() is running  # a no-op span is never active
            nothing.set_tag("ignored", "yes")
            assert not nothing.start_child(op="x").sampled
    (sent,) = transport.transactions()
    assert sent["transaction_info"] == {"source": "task"}
    assert [span["op"] for span in sent["spans"]] == ["image.resize"]


def test_set_status_and_set_http_status_tag_spans_as_sentry_sdk(
    transport: CapturingTransport,
) -> None:
    with sentry_sdk.start_transaction(op="http.server", name="GET /orders") as transaction:
        with sentry_sdk.start_span(op="http.client", name="GET /items/9") as span:
            span.set_http_status(404)
        with sentry_sdk.start_span(op="db", name="SELECT order") as span:
            span.set_status("internal_error")
        with sentry_sdk.start_span(op="http.client", name="GET /prices") as span:
            span.set_data("http.response.status_code", 200)  # data only: no status
        transaction.set_http_status(503)
    (sent,) = transport.transactions()
    assert sent["tags"] == {"http.status_code": "503"}
    assert sent["contexts"]["response"] == {"status_code": 503}
    assert sent["contexts"]["trace"]["status"] == "unavailable"
    http, db, data_only = sent["spans"]
    assert (http["status"], http["tags"]) == (
        "not_found",
        {"http.status_code": "404", "status": "not_found"},
    )
    assert (db["status"], db["tags"]) == ("internal_error", {"status": "internal_error"})
    assert "status" not in data_only and data_only["tags"] == {}
    assert data_only["data"]["http.response.status_code"] == 200


def test_a_custom_event_scrubber_adds_its_keys_and_never_touches_the_application() -> None:
    payment = {"card_number": "4242", "meta": {"iban": "DE00", "phone": "+1"}, "amount": 12}
    scrubber = EventScrubber(
        denylist=[*DEFAULT_DENYLIST, "amount"],
        pii_denylist=[*DEFAULT_PII_DENYLIST, "phone"],
        recursive=True,
    )
    with sentry_sdk.isolation_scope(), capture_envelopes(event_scrubber=scrubber) as transport:
        sentry_sdk.set_extra("payment", payment)

        def refund() -> None:
            phone = "+1 555 0100"  # noqa: F841 (a frame variable)
            raise RuntimeError("refund failed")

        try:
            refund()
        except RuntimeError:
            sentry_sdk.capture_exception()
        sentry_sdk.capture_message("second event")
    first, second = transport.events()
    assert first["extra"]["payment"]["amount"] == "[Filtered]"  # the scrubber's own key
    assert first["extra"]["payment"]["meta"]["phone"] == "[Filtered]"  # recursive
    assert first["extra"]["payment"]["card_number"] == "[Filtered]"  # scopetel's floor
    frame = first["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert frame["vars"]["phone"] == "[Filtered]"
    assert first["_meta"]["extra"]["payment"]["amount"] == {"": {"rem": [["!config", "s"]]}}
    assert second["extra"]["payment"]["amount"] == "[Filtered]"
    assert payment["amount"] == 12 and payment["meta"] == {"iban": "DE00", "phone": "+1"}


def test_custom_repr_shows_frame_variables_the_application_s_way(
    transport: CapturingTransport,
) -> None:
    class Customer:
        def __init__(self, tier: str) -> None:
            self.tier = tier

    def custom(value: object) -> str | None:
        if isinstance(value, Customer):
            return f"<Customer ({value.tier})>"
        if isinstance(value, int):
            raise ValueError("a broken custom repr falls back to repr()")
        return None

    with capture_envelopes(custom_repr=custom) as captured:

        def upgrade(customer: Customer, rank: int) -> None:
            raise LookupError(customer.tier)

        try:
            upgrade(Customer("gold"), 3)
        except LookupError:
            sentry_sdk.capture_exception()
    frame = captured.events()[0]["exception"]["values"][0]["stacktrace"]["frames"][-1]
    assert frame["vars"] == {"customer": "<Customer (gold)>", "rank": "3"}


def test_a_log_record_without_arguments_has_empty_params(transport: CapturingTransport) -> None:
    logging.getLogger("legacy.test").error("no arguments")
    logging.getLogger("legacy.test").error("with %s", "one")
    params = [event["logentry"]["params"] for event in transport.events()]
    assert params == [[], ["one"]]


def test_global_event_processors_and_default_pii(transport: CapturingTransport) -> None:
    @add_global_event_processor
    def add_build(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("extra", {})["build"] = "2024.06.1"
        return event

    try:
        sentry_sdk.capture_message("processed")
        assert transport.events()[0]["extra"]["build"] == "2024.06.1"
        assert should_send_default_pii() is False
    finally:  # process-wide: later tests must not see it (init() would add it back)
        sentry_sdk.get_global_scope().data.event_processors.remove(add_build)
        scopetel.scope._global_processors.remove(add_build)


def test_span_streaming_api() -> None:
    from scopetel import traces

    with (
        sentry_sdk.isolation_scope(),
        capture_envelopes(traces_sample_rate=1.0, trace_lifecycle="stream") as transport,
    ):
        with traces.start_span(name="GET /catalog", attributes={"sentry.op": "http.server"}):
            with traces.start_span(name="SELECT products") as span:
                span.set_attributes({"db.system": "postgresql"})
                assert traces.get_current_span() is span and span.status == "ok"
        traces.new_trace()
        with traces.start_span(name="rebuild-index") as failed:
            failed.status = "error"
            failed.status = "bogus"  # ignored, as sentry_sdk ignores it
        detached = traces.start_span(name="not active", active=False)
        with detached:
            assert traces.get_current_span() is None
        traces.continue_trace({"sentry-trace": f"{'a' * 32}-{'b' * 16}-1"})
        with traces.start_span(name="continued", parent_span=None) as continued:
            assert continued.trace_id == "a" * 32
        traces.new_trace()
        with traces.start_span(name="fresh") as fresh:
            assert fresh.trace_id != "a" * 32
    spans = {
        item["name"]: item
        for envelope in transport.envelopes
        for wire in envelope.items
        if wire.type == "span"
        for item in wire.json()["items"]
    }
    assert spans["rebuild-index"]["status"] == "error" and spans["GET /catalog"]["status"] == "ok"
    assert spans["SELECT products"]["parent_span_id"] == spans["GET /catalog"]["span_id"]
    assert spans["GET /catalog"]["attributes"]["sentry.op"]["value"] == "http.server"
    assert set(spans) == {
        "GET /catalog",
        "SELECT products",
        "rebuild-index",
        "not active",
        "continued",
        "fresh",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traces.new_trace()  # outside any span: nothing to undo, never raises
