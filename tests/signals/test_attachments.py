"""Attachments: sent with the events of their scope (and transactions when asked), read
when sent, bounded in size, never raising; checked on the strict loopback receiver."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import scopetel
from scopetel.attachments import MAX_ATTACHMENT_BYTES, Attachment
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.reference import REFERENCE_DIR
from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import SentryReceiver


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as receiver:
        scopetel.init(dsn=receiver.dsn, traces_sample_rate=1.0, release="shop@1.2.3")
        yield receiver
        assert receiver.errors == []


def delivered(receiver: SentryReceiver, count: int = 1) -> None:
    scopetel.flush(5)
    receiver.wait_for(lambda: len(receiver.events()) + len(receiver.transactions()) >= count)


def test_bytes_attachment_rides_with_the_event(receiver) -> None:
    with scopetel.isolation_scope() as scope:
        scope.add_attachment(bytes=b"hello attachment\n", filename="note.txt")
        scopetel.capture_exception(ZeroDivisionError("division by zero"))
    delivered(receiver)
    (envelope,) = receiver.envelopes
    event, attachment = envelope.items
    assert event.type == "event" and attachment.type == "attachment"
    assert attachment.payload == b"hello attachment\n"
    assert attachment.headers == {
        "type": "attachment",
        "filename": "note.txt",
        "content_type": "text/plain",
        "length": 17,
    }
    assert_valid_event(event.json)


def test_item_headers_are_those_of_sentry_sdk() -> None:
    path = REFERENCE_DIR / "classic-07.envelope"
    if not path.exists():
        pytest.skip("reference envelopes not found")
    data = path.read_bytes()
    header_line = data.split(b"\n")[1]
    event_length = json.loads(header_line)["length"]
    start = len(data.split(b"\n")[0]) + 1 + len(header_line) + 1 + event_length + 1
    reference = json.loads(data[start:].split(b"\n")[0])
    ours = Attachment(bytes=b"hello attachment\n", filename="note.txt").to_envelope_item()
    assert ours is not None and ours.headers == reference


def test_a_path_is_read_when_the_event_is_sent(receiver, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    with scopetel.isolation_scope() as scope:
        scope.add_attachment(path=str(log))  # does not exist yet
        log.write_text("written after add_attachment\n")
        scopetel.capture_message("with the log")
    delivered(receiver)
    (attachment,) = receiver.items("attachment")
    assert attachment.headers["filename"] == "app.log"
    assert attachment.payload == b"written after add_attachment\n"


def test_an_unreadable_path_is_left_out_and_counted(receiver, tmp_path: Path) -> None:
    with scopetel.isolation_scope() as scope:
        scope.add_attachment(path=str(tmp_path / "missing.log"))
        scope.add_attachment(bytes=lambda: 1 / 0, filename="broken.bin")  # type: ignore[arg-type, misc]
        scopetel.capture_message("still sent")
    delivered(receiver)
    assert receiver.items("attachment") == []
    assert len(receiver.events()) == 1
    receiver.wait_for(lambda: receiver.discarded("send_error", "attachment") == 2)


def test_an_oversized_attachment_is_dropped_with_a_report(receiver, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="scopetel")
    big = b"x" * (MAX_ATTACHMENT_BYTES + 1)
    with scopetel.isolation_scope() as scope:
        scope.add_attachment(bytes=b"small", filename="small.txt")
        scope.add_attachment(bytes=big, filename="big.bin")
        scopetel.capture_message("with a big file")
    delivered(receiver)
    (attachment,) = receiver.items("attachment")
    assert attachment.headers["filename"] == "small.txt"
    receiver.wait_for(lambda: receiver.discarded("send_error", "attachment") == len(big))
    assert any("big.bin" in record.getMessage() for record in caplog.records)


def test_transactions_carry_only_attachments_asked_for(receiver) -> None:
    with scopetel.isolation_scope() as scope:
        scope.add_attachment(bytes=b"events only", filename="events.txt")
        scope.add_attachment(bytes=b"{}", filename="both.json", add_to_transactions=True)
        with scopetel.start_transaction(name="checkout", op="task"):
            scopetel.capture_message("inside")
    delivered(receiver, 2)
    by_type = {e.items[0].type: e for e in receiver.envelopes}
    assert [i.headers["filename"] for i in by_type["event"].items[1:]] == [
        "events.txt",
        "both.json",
    ]
    assert [i.headers["filename"] for i in by_type["transaction"].items[1:]] == ["both.json"]
    assert by_type["transaction"].items[1].headers["content_type"] == "application/json"
    assert_valid_event(by_type["transaction"].items[0].json)


def test_attachments_are_copy_on_write_and_per_scope() -> None:
    with capture_envelopes() as transport:
        with scopetel.isolation_scope() as outer:
            outer.add_attachment(bytes=b"1", filename="outer.txt")
            with scopetel.isolation_scope() as inner:
                inner.add_attachment(bytes=b"2", filename="inner.txt")
                scopetel.capture_message("inner")
            scopetel.capture_message("outer")
            with scopetel.new_scope() as current:
                current.add_attachment(bytes=b"3", filename="current.txt")
                scopetel.capture_message("current")
        scopetel.capture_message("none")
    names = [
        [i.headers["filename"] for i in envelope.items if i.type == "attachment"]
        for envelope in transport.envelopes
        if envelope.items[0].type == "event"
    ]
    assert names == [["outer.txt", "inner.txt"], ["outer.txt"], ["outer.txt", "current.txt"], []]


def test_add_attachment_never_raises_and_hooks_see_attachments() -> None:
    seen: list[list[str]] = []

    def before_send(event: dict[str, object], hint: dict[str, object]) -> dict[str, object]:
        attachments = hint["attachments"]
        assert isinstance(attachments, list)
        seen.append([a.filename for a in attachments])
        attachments.append(Attachment(bytes=b"added by the hook", filename="hook.txt"))
        return event

    with capture_envelopes(before_send=before_send) as transport:
        with scopetel.isolation_scope() as scope:
            scope.add_attachment()  # nothing to attach: ignored
            scope.add_attachment(bytes=b"data")  # no file name: ignored
            scope.add_attachment(bytes="text", filename="text.txt")  # not bytes: left out
            scopetel.add_attachment(bytes=b"top", filename="top.txt")
            scopetel.capture_message("hooked")
    assert seen == [["text.txt", "top.txt"]]
    assert [i.headers["filename"] for i in transport.items("attachment")] == [
        "top.txt",
        "hook.txt",
    ]
    assert isinstance(transport, CapturingTransport)
