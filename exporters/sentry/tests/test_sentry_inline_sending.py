"""Sending on the capturing thread (``sending_inline``): only for a thread that says it may
wait, only while Sentry answers fast, and never at the cost of an envelope."""

import threading
import time

import pytest
from scopetel_exporter_sentry import _worker
from scopetel_exporter_sentry.inline_sending import may_send_inline, sending_inline
from sentry_builders import event

from conftest import MakeTransport
from tests.support.sentry_receiver import Reply, SentryReceiver


@pytest.fixture(autouse=True)
def _lenient_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded test machine may take longer than 10 ms for a loopback answer."""
    monkeypatch.setattr(_worker, "INLINE_MAX", 0.25)


def _messages(receiver: SentryReceiver) -> list[str]:
    return [e["message"] for e in receiver.events()]


def test_the_flag_is_per_thread_and_nests() -> None:
    seen: list[bool] = []
    with sending_inline():
        with sending_inline():
            pass
        assert may_send_inline()
        other = threading.Thread(target=lambda: seen.append(may_send_inline()))
        other.start()
        other.join()
    assert (may_send_inline(), seen) == (False, [False])


def test_once_sentry_is_known_fast_a_flagged_capture_is_delivered_before_it_returns(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    with sending_inline():
        transport.capture_envelope(event("first"))  # nothing known yet: a sender thread's
        assert transport.flush(timeout=5)
        for n in range(5):
            transport.capture_envelope(event(f"e{n}"))
            assert _messages(receiver)[-1] == f"e{n}"  # sent here, answered, then returned
    assert _messages(receiver) == ["first", "e0", "e1", "e2", "e3", "e4"]


def test_application_threads_never_wait_for_sentry(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    transport.capture_envelope(event("first"))
    assert transport.flush(timeout=5)  # Sentry known fast
    receiver.default = Reply(delay=0.5)
    started = time.monotonic()
    transport.capture_envelope(event("unflagged"))
    assert time.monotonic() - started < 0.25
    assert transport.flush(timeout=5)
    assert _messages(receiver) == ["first", "unflagged"]


def test_a_slow_answer_hands_the_next_captures_back_to_the_sender_threads(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver)
    with sending_inline():
        transport.capture_envelope(event("first"))
        assert transport.flush(timeout=5)
        receiver.default = Reply(delay=0.5)
        transport.capture_envelope(event("slow"))  # inline: waits for this one answer
        started = time.monotonic()
        for n in range(3):
            transport.capture_envelope(event(f"queued{n}"))
        assert time.monotonic() - started < 0.25  # no longer waited for
        assert transport.flush(timeout=10)
    assert sorted(_messages(receiver)) == ["first", "queued0", "queued1", "queued2", "slow"]


def test_an_inline_failure_is_retried_by_a_sender_thread(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    transport = make_transport(receiver, thread_linger=0.05)
    with sending_inline():
        transport.capture_envelope(event("first"))
        assert transport.flush(timeout=5)
        time.sleep(0.3)  # the sender thread lingered and ended: none is left
        receiver.reply(Reply(status=503))
        transport.capture_envelope(event("retried"))
        assert transport.flush(timeout=5)
    assert [r.status for r in receiver.requests] == [200, 503, 200]
    assert _messages(receiver) == ["first", "retried"]  # delivered on the second attempt
    assert transport.client_reports.counts() == {}
