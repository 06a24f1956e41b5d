"""Review findings: each test shows a bug and is xfail(strict) while the bug exists.

When a fix lands, its test starts passing, strict xfail turns that into a failure,
and the marker should be removed so the test guards the fix.

Every test runs in a private copy of the contextvars Context, so a bug that leaves
stale state in the Context cannot leak into other tests.
"""

import asyncio
import contextvars
import datetime
import functools
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind
from scopetel_exporter_sentry import Envelope, HttpTransport, Item

import scopetel
from scopetel._internal_errors import raise_internal_errors
from scopetel._pipeline.span_stream import SpanStreamProcessor
from scopetel._propagation.headers import parse_baggage
from scopetel.testing import CapturingTransport, capture_envelopes

UPSTREAM_SENTRY_TRACE = "771a43a4192642f0b136d5159a501700-b3a1f0c24e5d6a7f-1"


def isolated(test: Callable[..., None]) -> Callable[..., None]:
    """Run the test body in a copy of the Context (stale state stays in the copy)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        contextvars.copy_context().run(test, *args, **kwargs)

    return run


def _transaction_envelopes(transport: CapturingTransport) -> list[Envelope]:
    return [e for e in transport.envelopes if e.items and e.items[0].type == "transaction"]


# -- 1. Context / scopes -----------------------------------------------------------------


@isolated
def test_background_task_keeps_request_scope_after_block_exits() -> None:
    trace_ids: dict[str, str] = {}

    async def background() -> None:
        await asyncio.sleep(0.01)  # runs after the request's blocks have exited
        scopetel.set_tag("from_background", "yes")
        scopetel.capture_message("background")
        with scopetel.start_span(op="task", name="background work") as span:
            trace_ids["background"] = span.trace_id

    async def handle_request() -> None:
        with scopetel.isolation_scope():
            scopetel.set_tag("request", "r1")
            with scopetel.start_transaction(name="request") as transaction:
                trace_ids["request"] = transaction.trace_id
                task = asyncio.create_task(background())
        await task

    async def main() -> None:
        await handle_request()
        scopetel.capture_message("unrelated")  # outside any request

    with capture_envelopes(traces_sample_rate=1.0) as transport:
        asyncio.run(main())
    events = {event["message"]: event for event in transport.events()}
    # the background task's tag must not leak into the rest of the process ...
    assert "from_background" not in (events["unrelated"].get("tags") or {})
    # ... and the task keeps the request's scope data and trace
    assert events["background"]["tags"].get("request") == "r1"
    assert trace_ids["background"] == trace_ids["request"]


@isolated
def test_span_entered_twice_leaves_nothing_behind() -> None:
    with capture_envelopes(traces_sample_rate=1.0):
        transaction = scopetel.start_transaction(name="twice")
        with transaction:
            with transaction:
                pass
        assert scopetel.get_current_span() is None


@isolated
def test_traced_generator_closed_before_first_step_ends_its_span() -> None:
    @scopetel.trace(op="stream")
    def chunks() -> Any:
        yield b"chunk"

    with capture_envelopes(traces_sample_rate=1.0, late_children_timeout=30.0) as transport:
        with scopetel.start_transaction(name="download"):
            body = chunks()
            body.close()  # e.g. the client disconnected before streaming began
        # the root ended and nothing is open: the transaction goes out at once; the
        # generator never ran, so it has no span (its span starts with its first step)
        (transaction,) = transport.transactions()
        assert transaction["spans"] == []


@isolated
def test_traced_async_generator_closed_before_first_step_ends_its_span() -> None:
    @scopetel.trace(op="stream")
    async def chunks() -> Any:
        yield b"chunk"

    async def main() -> None:
        with scopetel.start_transaction(name="download"):
            await chunks().aclose()

    with capture_envelopes(traces_sample_rate=1.0, late_children_timeout=30.0) as transport:
        asyncio.run(main())
        (transaction,) = transport.transactions()
        assert transaction["spans"] == []


@isolated
def test_set_transaction_name_renames_only_its_own_transaction() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        with scopetel.start_transaction(name="outer"):
            scopetel.set_transaction_name("renamed outer")
            with scopetel.start_transaction(name="inner"):  # e.g. an eager task
                pass
        with scopetel.isolation_scope():
            scopetel.set_transaction_name("set before any transaction")
            with scopetel.start_transaction(name="first"):
                pass
            with scopetel.start_transaction(name="second"):
                pass
    names = sorted(event["transaction"] for event in transport.transactions())
    assert names == ["first", "inner", "renamed outer", "second"]


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


# -- 3. Dynamic sampling context: baggage vs envelope header -----------------------------


@isolated
def test_baggage_matches_envelope_dsc_under_instrumentation_root() -> None:
    tracer = otel_trace.get_tracer("opentelemetry.instrumentation.flask")
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        with tracer.start_as_current_span(
            "GET /items", kind=SpanKind.SERVER, attributes={"http.route": "/items"}
        ):
            baggage = parse_baggage(scopetel.get_baggage() or "").sentry
        scopetel.flush()
    (envelope,) = _transaction_envelopes(transport)
    header = envelope.headers["trace"]
    assert {k.removeprefix("sentry-"): v for k, v in baggage.items()} == header


@isolated
def test_follow_up_segment_carries_the_trace_head_dsc() -> None:
    with capture_envelopes(traces_sample_rate=1.0, late_children_timeout=0.05) as transport:
        with scopetel.start_transaction(name="GET /download", op="http.server") as root:
            body = root.start_child(op="stream", name="stream body")
        time.sleep(0.3)  # the root is emitted without the open child
        body.finish()  # ... which goes out as a follow-up transaction
        scopetel.flush()
    headers = [envelope.headers["trace"] for envelope in _transaction_envelopes(transport)]
    assert len(headers) == 2
    assert headers[0] == headers[1]


@isolated
def test_url_name_frozen_in_dsc_is_not_sent_after_rename() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        with scopetel.start_transaction(name="/users/4711", source="url") as transaction:
            baggage = parse_baggage(scopetel.get_baggage() or "").sentry
            transaction.name = "/users/{id}"
            transaction.source = "route"
        scopetel.flush()
    (envelope,) = _transaction_envelopes(transport)
    assert "sentry-transaction" not in baggage
    assert envelope.headers["trace"].get("transaction") != "/users/4711"


# -- 4. Pipeline ---------------------------------------------------------------------------


def test_rate_limited_transaction_counts_its_spans() -> None:
    transport = HttpTransport("http://key@127.0.0.1:9/1")
    try:
        transport.rate_limits.update(status=429, rate_limits="60:transaction:key")
        payload = {"type": "transaction", "spans": [{}, {}, {}]}
        transport.capture_envelope(Envelope({}, [Item.from_json("transaction", payload)]))
        counts = transport.client_reports.counts()
    finally:
        transport.close(0.1)
    assert counts.get(("ratelimit_backoff", "transaction")) == 1
    assert counts.get(("ratelimit_backoff", "span")) == 4


@isolated
def test_transaction_dropped_by_event_processor_is_reported_as_such() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        with scopetel.isolation_scope() as scope:
            scope.add_event_processor(lambda event, hint: None)
            with scopetel.start_transaction(name="dropped"):
                pass
        scopetel.flush()
    assert transport.lost[("event_processor", "transaction")] == 1
    assert ("before_send", "transaction") not in transport.lost


def test_stream_processor_memory_is_bounded_for_spans_never_ended() -> None:
    processor = SpanStreamProcessor(lambda spans: None, max_open_spans=5_000)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("leaky")
    for _ in range(20_000):
        tracer.start_span("never ended")  # dropped by the application
    gc.collect()
    assert len(processor._open) < 10_000


@isolated
def test_transaction_open_across_reinit_is_sent() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as first:
        transaction = scopetel.start_transaction(name="in flight")
        before = transaction.start_child(op="before")
        with capture_envelopes(traces_sample_rate=1.0) as second:
            after = transaction.start_child(op="after")  # started under the new init()
            after.finish()
            before.finish()
            transaction.finish()
            scopetel.flush()
    assert first.transactions() == []  # its transport was closed by the second init()
    (sent,) = second.transactions()
    assert sorted(span["op"] for span in sent["spans"]) == ["after", "before"]
    assert second.lost == {}


@isolated
def test_finish_twice_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with capture_envelopes(traces_sample_rate=1.0):
        with scopetel.start_transaction(name="root"):
            with scopetel.start_span(op="step") as span:
                span.finish()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


@isolated
def test_propagation_without_span_is_stable_and_has_baggage() -> None:
    with capture_envelopes(release="app@1"):
        with scopetel.isolation_scope():
            first, second = scopetel.get_traceparent(), scopetel.get_traceparent()
            baggage = scopetel.get_baggage()
    assert first == second
    assert baggage is not None and first is not None
    assert parse_baggage(baggage).sentry.get("sentry-trace_id") == first.split("-")[0]
