"""Structured logs: ``log`` items as sentry-sdk 2.75 sends them, from ``scopetel.logger``
and from ``logging``, linked to the trace, batched, hooks and drops counted."""

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from scopetel_exporter_sentry.transport import HttpTransport

import scopetel
from scopetel import logger
from tests.support.reference import REFERENCE_DIR
from tests.support.sentry_receiver import SentryReceiver

LOG_CONTENT_TYPE = "application/vnd.sentry.items.log+json"


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as receiver:
        yield receiver
        assert receiver.errors == []


def start(receiver: SentryReceiver, **options: Any) -> None:
    options.setdefault("enable_logs", True)
    scopetel.init(dsn=receiver.dsn, release="app@1.0.0", environment="test", **options)


def sent_logs(receiver: SentryReceiver, count: int) -> list[dict[str, Any]]:
    scopetel.flush(5)
    receiver.wait_for(lambda: len(receiver.logs()) >= count)
    return receiver.logs()


def plain(attributes: dict[str, Any]) -> dict[str, Any]:
    return {key: value["value"] for key, value in attributes.items()}


def test_a_log_is_what_sentry_sdk_sends(receiver) -> None:
    start(receiver, traces_sample_rate=1.0)
    with scopetel.start_transaction(name="checkout") as transaction:
        logger.info("hello {who}", who="world")
    (log,) = sent_logs(receiver, 1)
    (item,) = receiver.items("log")
    assert item.headers["content_type"] == LOG_CONTENT_TYPE
    assert item.headers["item_count"] == 1
    (envelope,) = [e for e in receiver.envelopes if e.items[0].type == "log"]
    assert set(envelope.headers) == {"sent_at"}
    assert log["trace_id"] == transaction.trace_id and log["span_id"] == transaction.span_id
    assert log["level"] == "info" and log["body"] == "hello world"
    attributes = plain(log["attributes"])
    assert attributes["sentry.message.template"] == "hello {who}"
    assert attributes["sentry.message.parameter.who"] == "world"
    assert attributes["sentry.severity_number"] == 9
    assert attributes["sentry.release"] == "app@1.0.0"
    assert attributes["sentry.environment"] == "test"
    assert attributes["sentry.sdk.name"] == "scopetel.python"
    path = REFERENCE_DIR / "classic-05.envelope"
    if path.exists():
        reference = json.loads(path.read_bytes().split(b"\n")[2])["items"][0]
        assert set(reference) == set(log)
        assert set(reference["attributes"]) == set(log["attributes"])
        for key, value in reference["attributes"].items():
            assert log["attributes"][key]["type"] == value["type"], key


def test_levels_positional_parameters_and_attributes(receiver) -> None:
    start(receiver)
    logger.trace("t")
    logger.debug("d")
    logger.warning("{0} of {1} {missing}", 3, 4, attributes={"shard": 7, "tags": ["a", "b"]})
    logger.error("e")
    logger.fatal("f")
    logs = sent_logs(receiver, 5)
    assert [log["level"] for log in logs] == ["trace", "debug", "warn", "error", "fatal"]
    assert [plain(log["attributes"])["sentry.severity_number"] for log in logs] == [
        1,
        5,
        13,
        17,
        21,
    ]
    warning = logs[2]
    assert warning["body"] == "3 of 4 {missing}"
    attributes = warning["attributes"]
    assert attributes["sentry.message.parameter.0"] == {"value": 3, "type": "integer"}
    assert attributes["shard"] == {"value": 7, "type": "integer"}
    assert attributes["tags"] == {"value": ["a", "b"], "type": "array"}
    assert "sentry.message.template" not in logs[0]["attributes"]  # no parameters, no template
    assert "span_id" not in logs[0]


def test_outside_a_span_logs_share_the_trace_of_error_events(receiver) -> None:
    start(receiver)
    with scopetel.isolation_scope():
        logger.info("working")
        scopetel.capture_message("failed")
    (log,) = sent_logs(receiver, 1)
    receiver.wait_for(lambda: len(receiver.events()) == 1)
    assert log["trace_id"] == receiver.events()[0]["contexts"]["trace"]["trace_id"]


def test_nothing_is_sent_unless_enable_logs(receiver) -> None:
    start(receiver, enable_logs=False)
    logger.info("not sent")
    logging.getLogger("shop").warning("not sent either")
    scopetel.capture_message("sent")
    scopetel.flush(5)
    receiver.wait_for(lambda: len(receiver.events()) == 1)
    assert receiver.items("log") == []


def test_before_send_log_edits_and_drops_with_client_reports(receiver) -> None:
    def hook(log: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
        assert log["attributes"]["sentry.release"] == "app@1.0.0"  # what sentry_sdk shows
        if log["severity_text"] == "debug":
            return None
        if log["body"] == "boom":
            raise RuntimeError("hook bug")
        log["attributes"]["checked"] = True
        return log

    start(receiver, before_send_log=hook)
    logger.debug("dropped")
    logger.info("boom")
    logger.info("kept")
    (log,) = sent_logs(receiver, 1)
    assert log["body"] == "kept" and log["attributes"]["checked"]["value"] is True
    receiver.wait_for(lambda: receiver.discarded(category="log_item") == 2, timeout=10)
    assert receiver.discarded("before_send", "log_item") == 1
    assert receiver.discarded("callback_error", "log_item") == 1
    assert receiver.discarded("before_send", "log_byte") > 100


def test_logging_records_become_logs_at_the_instrumentors_level(receiver) -> None:
    start(receiver)
    shipping = logging.getLogger("shipping")
    shipping.setLevel(logging.DEBUG)
    shipping.debug("below sentry_logs_level")
    shipping.info("label printed for %s", "parcel-1", extra={"carrier": "dhl"})
    shipping.warning("%(n)d parcels late", {"n": 3})
    logs = sent_logs(receiver, 2)
    assert [log["body"] for log in logs] == ["label printed for parcel-1", "3 parcels late"]
    info, warning = (plain(log["attributes"]) for log in logs)
    assert info["sentry.origin"] == "auto.log.stdlib"
    assert info["sentry.message.template"] == "label printed for %s"
    assert info["sentry.message.parameter.0"] == "parcel-1"
    assert info["logger.name"] == "shipping" and info["carrier"] == "dhl"
    assert (
        info["code.function.name"] == "test_logging_records_become_logs_at_the_instrumentors_level"
    )
    assert info["thread.name"] == threading.current_thread().name
    assert warning["sentry.message.parameter.n"] == 3
    assert warning["sentry.severity_text"] == "warn"


def test_ignore_logger_for_sentry_logs(receiver) -> None:
    from scopetel.integrations.logging import (
        ignore_logger_for_sentry_logs,
        unignore_logger_for_sentry_logs,
    )

    start(receiver)
    ignore_logger_for_sentry_logs("noisy")
    try:
        logging.getLogger("noisy").warning("not a log")
        logging.getLogger("quiet").warning("a log")
    finally:
        unignore_logger_for_sentry_logs("noisy")
    (log,) = sent_logs(receiver, 1)
    assert log["body"] == "a log"


def test_logs_are_batched_by_100_and_sent_without_a_flush(receiver) -> None:
    start(receiver)
    for index in range(100):
        logger.info("log {index}", index=index)
    # the 100th log wakes the sender: no flush() here
    receiver.wait_for(lambda: len(receiver.logs()) == 100, timeout=10)
    for index in range(150):
        logger.info("log {index}", index=index)
    scopetel.flush(5)
    receiver.wait_for(lambda: len(receiver.logs()) == 250)
    assert all(item.headers["item_count"] <= 100 for item in receiver.items("log"))
    assert len(receiver.items("log")) >= 3


class BlockingTransport(HttpTransport):
    """Holds the first envelope of logs until released (a slow send in the sender)."""

    def __init__(self, dsn: str) -> None:
        super().__init__(dsn)
        self.entered = threading.Event()
        self.release = threading.Event()

    def capture_envelope(self, envelope: Any) -> None:
        if envelope.items[0].type == "log" and not self.entered.is_set():
            self.entered.set()
            self.release.wait(10)
        super().capture_envelope(envelope)


def test_past_1000_waiting_logs_are_dropped_and_reported(receiver) -> None:
    transport = BlockingTransport(receiver.dsn)
    start(receiver, transport=transport)
    for index in range(100):
        logger.info("first {index}", index=index)
    assert transport.entered.wait(10)  # the sender holds the first 100
    for index in range(1_005):
        logger.info("second {index}", index=index)
    transport.release.set()
    scopetel.flush(5)
    receiver.wait_for(lambda: receiver.discarded("queue_overflow", "log_item") == 5, timeout=10)
    assert receiver.discarded("queue_overflow", "log_byte") > 0
    receiver.wait_for(lambda: len(receiver.logs()) == 1_100, timeout=10)


PROCESSOR_ADDED_LATER = """
import logging, sys
import scopetel
from opentelemetry._logs import get_logger_provider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor

scopetel.init(dsn=sys.argv[1], enable_logs=True, release="app@1.0.0")
log = logging.getLogger("orders")
log.warning("before %s", "export")  # the Sentry processor is the provider's only one
scopetel.logger.info("before {what}", what="export")
exporter = InMemoryLogRecordExporter()
get_logger_provider().add_log_record_processor(SimpleLogRecordProcessor(exporter))
log.warning("after %s", "export", extra={"order": 7})
scopetel.logger.info("after {what}", what="export")
scopetel.flush()
for data in exporter.get_finished_logs():
    record = data.log_record
    print(record.body, record.attributes.get("sentry.message.parameter.0"),
          record.attributes.get("sentry.message.parameter.what"), record.attributes.get("order"))
"""


def test_a_processor_added_after_init_gets_every_later_record(receiver) -> None:
    """Records go straight to the Sentry processor while it is the provider's only one,
    and through OpenTelemetry's SDK once anything else could see them."""
    done = subprocess.run(
        [sys.executable, "-c", PROCESSOR_ADDED_LATER, receiver.dsn],
        env={k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "OTEL_"))},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "after export export None 7",
        "after export None export None",
    ]
    receiver.wait_for(lambda: len(receiver.logs()) >= 4)
    logs = receiver.logs()
    assert [log["body"] for log in logs] == [
        "before export",
        "before export",
        "after export",
        "after export",
    ]
    before, after = (plain(logs[i]["attributes"]) for i in (0, 2))
    assert set(after) - set(before) == {"order"}
    assert before["sentry.message.parameter.0"] == after["sentry.message.parameter.0"]
