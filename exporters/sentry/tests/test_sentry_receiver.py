"""The test receiver itself must be strict, or the transport tests prove nothing."""

import gzip
import json

import pytest
import urllib3

from tests.support.sentry_receiver import SentryReceiver

AUTH = "Sentry sentry_key=public, sentry_version=7, sentry_client=test/1.0"
GOOD = b'{}\n{"type":"event","length":13}\n{"message":1}\n'


def post(receiver: SentryReceiver, body: bytes, **headers: str) -> int:
    sent = {"Content-Type": "application/x-sentry-envelope", "X-Sentry-Auth": AUTH}
    sent.update({name.replace("_", "-"): value for name, value in headers.items()})
    response = urllib3.request(
        "POST", f"{receiver.url}/api/42/envelope/", body=body, headers=sent, retries=False
    )
    return response.status


def test_accepts_a_valid_envelope_gzipped_or_not(receiver: SentryReceiver) -> None:
    assert post(receiver, GOOD) == 200
    assert post(receiver, gzip.compress(GOOD), Content_Encoding="gzip") == 200
    assert receiver.errors == []
    assert [e.gzipped for e in receiver.envelopes] == [False, True]
    assert receiver.events() == [{"message": 1}, {"message": 1}]


@pytest.mark.parametrize(
    ("body", "headers", "problem"),
    [
        (GOOD.replace(b"13", b"12"), {}, "longer than its length"),
        (GOOD.replace(b"13", b"20"), {}, "length 20 >"),
        (b'{}\n{"type":"event"}\n{"message":NaN}\n', {}, "NaN is not JSON"),
        (b'{}\n{"type":"event"}\nnope\n', {}, "invalid JSON"),
        (b"{}\n", {}, "no items"),
        (b'{"event_id":"xyz"}\n{"type":"event"}\n{}\n', {}, "32 hex"),
        (b'{}\n{"type":"span","item_count":3}\n{"version":2,"items":[{}]}\n', {}, "item_count"),
        (GOOD, {"Content_Encoding": "gzip"}, "not valid gzip"),
        (
            GOOD,
            {"X_Sentry_Auth": "Sentry sentry_key=other, sentry_version=7, sentry_client=a/1"},
            "sentry_key",
        ),
        (
            GOOD,
            {"X_Sentry_Auth": "Sentry sentry_key=public, sentry_version=6, sentry_client=a/1"},
            "sentry_version",
        ),
        (GOOD, {"X_Sentry_Auth": "Sentry sentry_key=public, sentry_version=7"}, "sentry_client"),
        (GOOD, {"Content_Type": "application/json"}, "Content-Type"),
    ],
)
def test_rejects_malformed_requests(
    receiver: SentryReceiver, body: bytes, headers: dict[str, str], problem: str
) -> None:
    assert post(receiver, body, **headers) == 400
    assert len(receiver.errors) == 1
    assert problem in receiver.errors[0]
    assert receiver.envelopes == []


def test_client_report_entries_are_checked(receiver: SentryReceiver) -> None:
    report = json.dumps(
        {
            "timestamp": 1.0,
            "discarded_events": [{"reason": "x", "category": "error", "quantity": 0}],
        }
    ).encode()
    body = b'{}\n{"type":"client_report"}\n' + report + b"\n"
    assert post(receiver, body) == 400
    assert "not a positive int" in receiver.errors[0]


def test_wait_for_fails_with_a_useful_message(receiver: SentryReceiver) -> None:
    with pytest.raises(AssertionError, match="0 request"):
        receiver.wait_for(lambda: bool(receiver.envelopes), timeout=0.1)
