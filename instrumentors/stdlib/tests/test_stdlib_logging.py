"""Logging: breadcrumbs, error events with logentry, trace ids on records."""

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from scopetel_instrumentation_stdlib.logs import LoggingInstrumentor
from stdlib_support import capturing, instrumented, uninstrumented

import scopetel

log = logging.getLogger("tests.app")
tracer = trace.get_tracer("tests.logging")


@pytest.fixture(autouse=True)
def _app_logger_level() -> Iterator[None]:
    """The app logger lets everything through; each test has its own breadcrumbs."""
    log.setLevel(logging.DEBUG)
    with scopetel.isolation_scope() as scope:
        scope.clear_breadcrumbs()
        yield
    log.setLevel(logging.NOTSET)


@pytest.fixture
def logs() -> Iterator[LoggingInstrumentor]:
    with instrumented(LoggingInstrumentor()) as instrumentor:
        yield instrumentor


def _crumbs(event: dict[str, Any]) -> list[tuple[str, str, str]]:
    values = event.get("breadcrumbs", {}).get("values", [])
    return [(crumb["category"], crumb["level"], crumb["message"]) for crumb in values]


def test_info_and_up_are_breadcrumbs_and_errors_are_events_with_logentry(logs) -> None:
    with capturing(traces_sample_rate=1.0) as transport, scopetel.isolation_scope():
        log.debug("too quiet")
        log.info("cart has %d items", 3)
        log.warning("stock low for %s", "sku-1")
        with tracer.start_as_current_span("checkout") as span:
            log.error("payment %s failed with %r", "p-9", {"code": 402})
    (event,) = transport.events()
    assert event["logentry"] == {
        "message": "payment %s failed with %r",
        "params": ["p-9", {"code": 402}],
        "formatted": "payment p-9 failed with {'code': 402}",
    }
    assert event["logger"] == "tests.app" and event["level"] == "error"
    assert "exception" not in event
    assert _crumbs(event) == [
        ("tests.app", "info", "cart has 3 items"),
        ("tests.app", "warning", "stock low for sku-1"),
    ]
    assert event["breadcrumbs"]["values"][0]["type"] == "log"
    trace_context = event["contexts"]["trace"]
    assert trace_context["span_id"] == format(span.get_span_context().span_id, "016x")
    assert trace_context["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_an_error_record_is_also_a_breadcrumb_of_later_events(logs) -> None:
    with capturing() as transport, scopetel.isolation_scope():
        log.error("first")
        log.critical("second")
    first, second = transport.events()
    assert first["breadcrumbs"]["values"] == []
    assert _crumbs(second) == [("tests.app", "error", "first")]
    assert second["level"] == "fatal"


def test_exc_info_gives_the_exception_with_its_stack(logs) -> None:
    def charge() -> None:
        raise ConnectionError("gateway down")

    with capturing() as transport, scopetel.isolation_scope():
        try:
            charge()
        except ConnectionError:
            log.exception("could not charge %s", "acct-1")
    (event,) = transport.events()
    (value,) = event["exception"]["values"]
    assert value["type"] == "ConnectionError" and value["value"] == "gateway down"
    assert value["mechanism"] == {"type": "logging", "handled": True}
    assert value["stacktrace"]["frames"][-1]["function"].endswith("charge")
    assert event["logentry"]["formatted"] == "could not charge acct-1"


def test_extra_attributes_become_event_extra_and_breadcrumb_data(logs) -> None:
    with capturing() as transport, scopetel.isolation_scope():
        log.info("user in", extra={"user_id": 7, "roles": ("admin",)})
        log.error("user out", extra={"user_id": 7, "handle": object()})
    (event,) = transport.events()
    assert event["breadcrumbs"]["values"][0]["data"] == {"user_id": 7, "roles": ["admin"]}
    assert event["extra"]["user_id"] == 7
    assert event["extra"]["handle"].startswith("<object object at")


def test_odd_records_never_raise(logs, capsys) -> None:
    odd = logging.getLogger("tests.odd")
    odd.propagate = False  # pytest's own handler raises on bad arguments
    try:
        with capturing() as transport:
            odd.error("needs %s and %s", "only one")  # logging prints its own error
            odd.error(ValueError("an exception as the message"))
            odd.error("mapping %(name)s", {"name": "kept"})
            odd.error("x" * 20_000)
    finally:
        odd.propagate = True
    assert "not enough arguments for format string" in capsys.readouterr().err
    events = transport.events()
    assert events[0]["logentry"]["formatted"] == "needs %s and %s"
    assert events[1]["logentry"] == {
        "message": "an exception as the message",
        "formatted": "an exception as the message",
        "params": [],  # as sentry_sdk: the record's (empty) arguments
    }
    assert events[2]["logentry"]["params"] == {"name": "kept"}
    assert events[2]["logentry"]["formatted"] == "mapping kept"
    assert len(events[3]["logentry"]["message"]) <= 8192


def test_levels_are_configurable_by_keyword(monkeypatch) -> None:
    with instrumented(LoggingInstrumentor(), level="WARNING", event_level=logging.CRITICAL):
        with capturing() as transport, scopetel.isolation_scope():
            log.info("not a breadcrumb")
            log.error("a breadcrumb only")
            log.critical("an event")
    (event,) = transport.events()
    assert event["logentry"]["message"] == "an event"
    assert _crumbs(event) == [("tests.app", "error", "a breadcrumb only")]


def test_levels_are_configurable_by_environment(monkeypatch) -> None:
    monkeypatch.setenv("SCOPETEL_LOGGING_LEVEL", "off")
    monkeypatch.setenv("SCOPETEL_LOGGING_EVENT_LEVEL", "warning")
    with instrumented(LoggingInstrumentor()):
        with capturing() as transport, scopetel.isolation_scope():
            log.info("nothing")
            log.warning("an event")
            log.error("another")
    assert [event["logentry"]["message"] for event in transport.events()] == [
        "an event",
        "another",
    ]
    assert all(not event["breadcrumbs"]["values"] for event in transport.events())


def test_bad_keywords_raise_and_bad_environment_falls_back(monkeypatch, caplog) -> None:
    uninstrumented(LoggingInstrumentor())
    with pytest.raises(ValueError, match="level"):
        LoggingInstrumentor().instrument(level="LOUD")
    with pytest.raises(TypeError, match="unexpected"):
        LoggingInstrumentor().instrument(levels=logging.INFO)
    assert not LoggingInstrumentor().is_instrumented_by_opentelemetry
    monkeypatch.setenv("SCOPETEL_LOGGING_EVENT_LEVEL", "LOUD")
    with instrumented(LoggingInstrumentor()), capturing() as transport:
        log.error("default event level still applies")
    assert len(transport.events()) == 1
    assert "ignoring SCOPETEL_LOGGING_EVENT_LEVEL" in caplog.text


def test_own_and_opentelemetry_and_ignored_loggers_are_never_captured() -> None:
    with instrumented(LoggingInstrumentor(), ignore_loggers=["tests.noisy"]):
        with capturing() as transport, scopetel.isolation_scope():
            for name in ("scopetel", "scopetel_exporter_sentry.transport", "opentelemetry.sdk"):
                logging.getLogger(name).error("internal")
            logging.getLogger("tests.noisy.child").error("ignored")
            logging.getLogger("tests.noisy_not_a_child").error("captured")
    (event,) = transport.events()
    assert event["logger"] == "tests.noisy_not_a_child"
    assert event["breadcrumbs"]["values"] == []


def test_logging_inside_capture_does_not_loop(logs) -> None:
    def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        log.error("before_send saw %s", event["logentry"]["message"])
        return event

    with capturing(before_send=before_send) as transport, scopetel.isolation_scope():
        log.error("outer")
    assert [event["logentry"]["message"] for event in transport.events()] == ["outer"]


def test_suppressed_instrumentation_is_not_captured(logs) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with capturing() as transport, suppress_instrumentation():
        log.error("suppressed")
    assert transport.events() == []


def test_records_carry_trace_ids_for_format_strings(logs) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        logging.Formatter("%(trace_id)s %(span_id)s %(trace_sampled)s %(message)s")
    )
    log.addHandler(handler)
    try:
        with capturing(traces_sample_rate=1.0) as transport, scopetel.isolation_scope():
            with tracer.start_as_current_span("request") as span:
                log.info("inside")
            log.info("outside")
            scopetel.capture_message("span-less event")
    finally:
        log.removeHandler(handler)
    inside, outside = stream.getvalue().splitlines()
    context = span.get_span_context()
    assert inside == f"{context.trace_id:032x} {context.span_id:016x} True inside"
    trace_id, span_id, sampled, _ = outside.split(" ")
    assert span_id == "0" * 16 and sampled == "False"
    assert trace_id == transport.events()[0]["contexts"]["trace"]["trace_id"]


def test_a_json_formatter_sees_the_ids_and_extra_trace_id_still_works(logs) -> None:
    class JsonFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            ids = {key: vars(record)[key] for key in ("trace_id", "span_id", "trace_sampled")}
            return json.dumps({"message": record.getMessage(), **ids})

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    try:
        with capturing(traces_sample_rate=1.0), tracer.start_as_current_span("job") as span:
            log.info("ids")
            log.info("own id", extra={"trace_id": "from-the-caller"})
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["span_id"] == format(span.get_span_context().span_id, "016x")
    assert first["trace_sampled"] is True
    assert second["trace_id"] == "from-the-caller"


def test_uninstrument_restores_call_handlers_make_record_and_the_factory() -> None:
    uninstrumented(LoggingInstrumentor())
    factory = logging.getLogRecordFactory()
    call_handlers = logging.Logger.__dict__["callHandlers"]
    make_record = logging.Logger.__dict__["makeRecord"]
    with instrumented(LoggingInstrumentor()):
        assert logging.getLogRecordFactory() is not factory
        assert logging.Logger.__dict__["callHandlers"] is not call_handlers
    assert logging.getLogRecordFactory() is factory
    assert logging.Logger.__dict__["callHandlers"] is call_handlers
    assert logging.Logger.__dict__["makeRecord"] is make_record
    assert not hasattr(log.makeRecord("n", logging.INFO, "f", 1, "m", (), None), "trace_id")


def test_a_factory_installed_after_ours_stays_and_ours_passes_through() -> None:
    uninstrumented(LoggingInstrumentor())
    original = logging.getLogRecordFactory()
    try:
        with instrumented(LoggingInstrumentor()):
            ours = logging.getLogRecordFactory()

            def theirs(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = ours(*args, **kwargs)
                record.theirs = True
                return record

            logging.setLogRecordFactory(theirs)
        assert logging.getLogRecordFactory() is theirs
        record = log.makeRecord("n", logging.INFO, "f", 1, "m", (), None)
        assert record.theirs is True and not hasattr(record, "trace_id")
    finally:
        logging.setLogRecordFactory(original)
