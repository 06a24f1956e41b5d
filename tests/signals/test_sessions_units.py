"""Release health in-process: the API instrumentors use per request or task, the
per-minute aggregates, ``start_session``/``end_session``, and fork."""

import json
import os
from collections.abc import Iterator

import pytest

import scopetel
from scopetel.instrumentation import (
    begin_request_session,
    capture_unhandled,
    end_request_session,
    track_session,
)
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.reference import REFERENCE_DIR
from tests.support.sentry_receiver import SentryReceiver


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with capture_envelopes(release="api@3.1.0", environment="test") as transport:
        yield transport


def aggregates(transport: CapturingTransport) -> list[dict[str, object]]:
    scopetel.flush()
    return [item.json() for item in transport.items("sessions")]


def request(outcome: str) -> None:
    """One unit of work, as an instrumentor runs it: its own isolation scope."""
    with scopetel.isolation_scope() as scope:
        assert begin_request_session(scope)
        if outcome == "errored":
            scopetel.capture_exception(ValueError("handled"))
        elif outcome == "crashed":
            capture_unhandled(RuntimeError("unhandled"), "test")
        elif outcome == "message":
            scopetel.capture_message("not an error")
        end_request_session(scope)


def test_requests_are_aggregated_by_outcome(transport) -> None:
    for outcome in ["ok", "ok", "errored", "crashed", "message", "errored"]:
        request(outcome)
    (payload,) = aggregates(transport)
    assert payload["attrs"] == {"release": "api@3.1.0", "environment": "test"}
    (bucket,) = payload["aggregates"]
    assert {k: v for k, v in bucket.items() if k != "started"} == {
        "exited": 3,
        "errored": 2,
        "crashed": 1,
    }
    assert aggregates(transport) == [payload]  # sent once


def test_the_sessions_item_matches_the_reference(transport) -> None:
    path = REFERENCE_DIR / "classic-04.envelope"
    if not path.exists():
        pytest.skip("reference envelopes not found")
    header, item_header, payload = path.read_bytes().split(b"\n")[:3]
    request("ok")
    scopetel.flush()
    (envelope,) = [e for e in transport.envelopes if e.items[0].type == "sessions"]
    assert envelope.headers == json.loads(header)
    ours = envelope.items[0]
    assert {k: v for k, v in ours.headers.items() if k != "length"} == {
        k: v for k, v in json.loads(item_header).items() if k != "length"
    }
    expected = json.loads(payload)
    assert set(ours.json()) == set(expected)
    assert set(ours.json()["aggregates"][0]) == set(expected["aggregates"][0])


def test_track_session_context_manager_and_tracking_off() -> None:
    with capture_envelopes(release="api@3.1.0") as transport:
        with scopetel.isolation_scope() as scope, track_session(scope):
            scopetel.capture_exception(ValueError("x"))
        assert len(aggregates(transport)) == 1
    with capture_envelopes(release="api@3.1.0", auto_session_tracking=False) as transport:
        with scopetel.isolation_scope() as scope:
            assert begin_request_session(scope) is False
            end_request_session(scope)
        assert aggregates(transport) == []


def test_start_and_end_session_by_hand_send_one_session(transport) -> None:
    with scopetel.isolation_scope():
        scopetel.start_session()
        scopetel.set_user({"email": "ada@example.com"})
        scopetel.capture_exception(KeyError("k"))
        scopetel.end_session()
        scopetel.end_session()  # nothing left to end
    (item,) = transport.items("session")
    session = item.json()
    assert session["status"] == "exited" and session["errors"] == 1
    assert session["did"] == "ada@example.com"
    assert session["attrs"] == {"release": "api@3.1.0", "environment": "test"}


def test_an_error_in_a_nested_scope_counts_in_the_request_session(transport) -> None:
    with scopetel.isolation_scope() as scope:
        begin_request_session(scope)
        with scopetel.new_scope(), scopetel.isolation_scope():
            scopetel.capture_exception(ValueError("deep"))
        end_request_session(scope)
    ((bucket,),) = [p["aggregates"] for p in aggregates(transport)]
    assert bucket.get("errored") == 1


def test_ignored_errors_do_not_count(transport) -> None:
    with capture_envelopes(release="api@3.1.0", ignore_errors=[ValueError]) as transport:
        request("errored")
        ((bucket,),) = [p["aggregates"] for p in aggregates(transport)]
    assert bucket.get("exited") == 1 and "errored" not in bucket


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_sends_its_own_counts_only() -> None:
    with SentryReceiver() as receiver:
        scopetel.init(dsn=receiver.dsn, release="api@3.1.0")
        request("crashed")  # counted in the parent, not yet sent
        pid = os.fork()
        if pid == 0:  # the child: one clean request, flushed
            try:
                request("ok")
                scopetel.flush(5)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        receiver.wait_for(lambda: len(receiver.items("sessions")) == 1)
        (child,) = [i.json for i in receiver.items("sessions")]
        assert [{k: v for k, v in a.items() if k != "started"} for a in child["aggregates"]] == [
            {"exited": 1}
        ]
        scopetel.flush(5)
        receiver.wait_for(lambda: len(receiver.items("sessions")) == 2)
        parent = receiver.items("sessions")[1].json
        assert [{k: v for k, v in a.items() if k != "started"} for a in parent["aggregates"]] == [
            {"crashed": 1}
        ]
        assert receiver.errors == []
