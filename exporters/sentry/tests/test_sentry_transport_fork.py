"""HttpTransport survives fork(): the child sends its own envelopes, nothing is sent twice."""

import os

import pytest
from sentry_builders import event

from conftest import MakeTransport
from tests.support.sentry_receiver import Reply, SentryReceiver


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_child_sends_its_own_and_parent_items_are_not_sent_twice(
    receiver: SentryReceiver, make_transport: MakeTransport
) -> None:
    receiver.default = Reply(delay=0.2)  # so the parent has envelopes in flight and queued
    transport = make_transport(receiver)
    transport.capture_envelope(event("parent before fork 1"))
    transport.capture_envelope(event("parent before fork 2"))
    transport.record_lost("before_send", "error")  # the parent's to report
    assert not transport.flush(timeout=0)  # still in flight / queued at the fork

    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            transport.capture_envelope(event("child"))
            code = 0 if transport.flush(timeout=5) else 2
        finally:
            os._exit(code)

    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    transport.capture_envelope(event("parent after fork"))
    assert transport.flush(timeout=5)
    messages = sorted(e["message"] for e in receiver.events())
    assert messages == [
        "child",
        "parent after fork",
        "parent before fork 1",
        "parent before fork 2",
    ]
    assert receiver.discarded("before_send", "error") == 1  # reported by the parent only
    assert receiver.errors == []
