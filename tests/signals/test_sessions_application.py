"""Application-mode release health: scripts run as real processes, sessions received by
the strict loopback receiver (one ``session`` item, sent at exit)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.reference import REFERENCE_DIR
from tests.support.sentry_receiver import SentryReceiver

SCRIPT = Path(__file__).parent / "apps" / "health_script.py"


def run_script(receiver: SentryReceiver, mode: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "OTEL_"))}
    environ.update({"SENTRY_DSN": receiver.dsn, "SENTRY_RELEASE": "cli@1.0.0", **env})
    return subprocess.run(
        [sys.executable, str(SCRIPT), mode], env=environ, capture_output=True, text=True, timeout=60
    )


def sessions(receiver: SentryReceiver) -> list[dict[str, Any]]:
    return [item.json for item in receiver.items("session")]


def test_a_script_sends_one_exited_session_counting_its_errors() -> None:
    with SentryReceiver() as receiver:
        result = run_script(receiver, "handled")
        assert result.returncode == 0, result.stderr
        receiver.wait_for(lambda: len(sessions(receiver)) == 1)
        assert receiver.errors == []
    (session,) = sessions(receiver)
    assert session["status"] == "exited"
    assert session["errors"] == 2  # the message is not an error
    assert session["init"] is True and session["seq"] == 0
    assert session["attrs"] == {"release": "cli@1.0.0", "environment": "production"}
    assert session["did"] == "user-7"
    assert 0 < session["duration"] < 60
    assert session["started"] <= session["timestamp"]
    (item,) = receiver.items("session")
    assert item.headers["content_type"] == "application/json"
    assert len(receiver.events()) == 3


def test_the_session_has_the_fields_sentry_sdk_sends() -> None:
    path = REFERENCE_DIR / "classic-10.envelope"
    if not path.exists():
        pytest.skip("reference envelopes not found")
    reference = path.read_bytes().split(b"\n")
    expected = set(json.loads(reference[2]))
    with SentryReceiver() as receiver:
        run_script(receiver, "handled")
        receiver.wait_for(lambda: len(sessions(receiver)) == 1)
    assert expected <= set(sessions(receiver)[0])


def test_an_uncaught_exception_makes_the_session_crashed() -> None:
    with SentryReceiver() as receiver:
        result = run_script(receiver, "crash")
        assert result.returncode == 1 and "the script crashed" in result.stderr
        receiver.wait_for(lambda: len(sessions(receiver)) == 1)
    (session,) = sessions(receiver)
    assert session["status"] == "crashed" and session["errors"] == 1
    (event,) = receiver.events()
    assert event["exception"]["values"][-1]["mechanism"]["handled"] is False


def test_a_clean_run_is_exited_without_errors() -> None:
    with SentryReceiver() as receiver:
        run_script(receiver, "ok")
        receiver.wait_for(lambda: len(sessions(receiver)) == 1)
    (session,) = sessions(receiver)
    assert session["status"] == "exited" and session["errors"] == 0


@pytest.mark.parametrize(
    "env", [{"SENTRY_RELEASE": ""}, {"SENTRY_AUTO_SESSION_TRACKING": "false"}], ids=str
)
def test_no_release_or_tracking_off_sends_no_session(env: dict[str, str]) -> None:
    with SentryReceiver() as receiver:
        result = run_script(receiver, "crash", **env)
        receiver.wait_for(lambda: len(receiver.events()) == 1)
        assert result.returncode == 1
    assert receiver.items("session") == [] and receiver.items("sessions") == []


def test_a_session_started_by_hand_replaces_the_automatic_one() -> None:
    with SentryReceiver() as receiver:
        run_script(receiver, "manual")
        receiver.wait_for(lambda: len(receiver.events()) == 1)
        receiver.wait_for(lambda: len(sessions(receiver)) >= 1)
    (manual,) = sessions(receiver)  # the automatic session was replaced, not sent
    assert manual["errors"] == 1 and manual["status"] == "exited"


def test_a_forked_child_does_not_send_the_parents_session() -> None:
    with SentryReceiver() as receiver:
        result = run_script(receiver, "fork")
        assert result.returncode == 0, result.stderr
        receiver.wait_for(lambda: len(sessions(receiver)) >= 1)
    assert len(sessions(receiver)) == 1
