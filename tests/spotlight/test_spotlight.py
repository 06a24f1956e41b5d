"""Spotlight against the real sidecar: it receives and parses scopetel's errors,
transactions and check-ins, with or without a DSN, from ``init`` or ``SENTRY_SPOTLIGHT``."""

import os
import subprocess
import sys

import scopetel
from scopetel._config.resolution import resolve
from scopetel._setup.spotlight import spotlight_url
from scopetel.crons import capture_checkin
from tests.spotlight.sidecar import Sidecar
from tests.support.sentry_receiver import SentryReceiver


def test_without_a_dsn_spotlight_gets_everything_sampled(sidecar: Sidecar) -> None:
    scopetel.init(spotlight=sidecar.url, release="spot@1.0")  # no DSN, no sample rate
    with scopetel.start_transaction(name="spotlit", op="task"):
        with scopetel.start_span(op="db", name="select 1"):
            pass
        scopetel.capture_exception(ValueError("seen in Spotlight"))
    capture_checkin("spot-cron", status="ok")
    scopetel.flush(5)
    items = sidecar.items()
    by_type = {headers["type"]: payload for headers, payload in items}
    assert by_type["event"]["exception"]["values"][0]["value"] == "seen in Spotlight"
    transaction = by_type["transaction"]
    assert transaction["transaction"] == "spotlit"
    assert [span["op"] for span in transaction["spans"]] == ["db"]
    assert by_type["check_in"]["monitor_slug"] == "spot-cron"
    assert (
        by_type["event"]["contexts"]["trace"]["trace_id"]
        == transaction["contexts"]["trace"]["trace_id"]
    )


def test_with_a_dsn_both_sentry_and_spotlight_receive(sidecar: Sidecar) -> None:
    with SentryReceiver() as receiver:
        scopetel.init(dsn=receiver.dsn, spotlight=sidecar.url, sample_rate=1.0)
        scopetel.capture_message("to both sides")
        scopetel.flush(5)
        receiver.wait_for(lambda: len(receiver.events()) == 1)
    messages = [p.get("message") for h, p in sidecar.items() if h["type"] == "event"]
    assert "to both sides" in messages
    assert receiver.events()[0]["message"] == "to both sides"


def test_sentry_spotlight_variable_in_a_script(sidecar: Sidecar) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "OTEL_"))}
    env["SENTRY_SPOTLIGHT"] = sidecar.url
    code = "import scopetel; scopetel.init(); scopetel.capture_message('from the variable')"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    messages = [p.get("message") for h, p in sidecar.items() if h["type"] == "event"]
    assert "from the variable" in messages


def test_an_absent_sidecar_never_blocks_or_raises() -> None:
    scopetel.init(spotlight="http://127.0.0.1:9/stream")
    for _ in range(50):
        scopetel.capture_message("nobody listens")
    assert scopetel.flush(5) is True


def test_url_precedence_as_sentry_sdk() -> None:
    env_url = "http://127.0.0.1:9999/stream"
    on = resolve({"spotlight": True}, dsn=None)
    assert spotlight_url(on, {"SENTRY_SPOTLIGHT": env_url}) == env_url
    assert spotlight_url(on, {}) == "http://localhost:8969/stream"
    given = resolve({"spotlight": "http://127.0.0.1:1/stream"}, dsn=None)
    assert spotlight_url(given, {"SENTRY_SPOTLIGHT": env_url}) == "http://127.0.0.1:1/stream"
    off = resolve({"spotlight": False}, dsn=None)
    assert spotlight_url(off, {"SENTRY_SPOTLIGHT": env_url}) is None
