"""Cron monitors: ``check_in`` items as sentry-sdk 2.75 sends them, carrying the trace,
from ``capture_checkin`` and from ``monitor`` (sync, async, context manager)."""

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import scopetel
from scopetel.crons import MonitorStatus, capture_checkin, monitor
from tests.support.reference import REFERENCE_DIR
from tests.support.sentry_receiver import SentryReceiver

CONFIG = {
    "schedule": {"type": "crontab", "value": "0 * * * *"},
    "checkin_margin": 5,
    "max_runtime": 30,
    "timezone": "Europe/Vienna",
}


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as receiver:
        scopetel.init(
            dsn=receiver.dsn, traces_sample_rate=1.0, release="app@1.0.0", environment="test"
        )
        yield receiver
        assert receiver.errors == []


def check_ins(receiver: SentryReceiver, count: int) -> list[dict[str, Any]]:
    scopetel.flush(5)
    receiver.wait_for(lambda: len(receiver.items("check_in")) >= count)
    return [item.json for item in receiver.items("check_in")]


def test_capture_checkin_sends_what_sentry_sdk_sends(receiver) -> None:
    check_in_id = capture_checkin(
        monitor_slug="wire-cron", status=MonitorStatus.OK, monitor_config=CONFIG
    )
    (check_in,) = check_ins(receiver, 1)
    assert check_in["check_in_id"] == check_in_id and len(check_in_id) == 32
    assert check_in["monitor_slug"] == "wire-cron" and check_in["status"] == "ok"
    assert check_in["duration"] is None
    assert check_in["release"] == "app@1.0.0" and check_in["environment"] == "test"
    assert check_in["monitor_config"] == CONFIG
    (item,) = receiver.items("check_in")
    assert item.headers["content_type"] == "application/json"
    path = REFERENCE_DIR / "classic-03.envelope"
    if path.exists():
        reference = json.loads(path.read_bytes().split(b"\n")[2])
        assert set(reference) - {"event_id"} <= set(check_in)
        assert set(reference["contexts"]["trace"]) - {"parent_span_id"} <= set(
            check_in["contexts"]["trace"]
        )


def test_check_ins_carry_the_active_trace(receiver) -> None:
    with scopetel.start_transaction(name="nightly", op="task") as transaction:
        capture_checkin("nightly", status=MonitorStatus.IN_PROGRESS)
    (check_in,) = check_ins(receiver, 1)
    assert check_in["contexts"]["trace"]["trace_id"] == transaction.trace_id
    assert check_in["contexts"]["trace"]["span_id"] == transaction.span_id
    (envelope,) = [e for e in receiver.envelopes if e.items[0].type == "check_in"]
    assert envelope.headers["trace"]["trace_id"] == transaction.trace_id
    assert envelope.headers["trace"]["release"] == "app@1.0.0"


def test_without_a_span_the_isolation_scope_trace_links_checkin_and_errors(receiver) -> None:
    with scopetel.isolation_scope():
        capture_checkin("job", status=MonitorStatus.ERROR)
        scopetel.capture_message("the job failed")
    (check_in,) = check_ins(receiver, 1)
    receiver.wait_for(lambda: len(receiver.events()) == 1)
    trace = receiver.events()[0]["contexts"]["trace"]
    assert check_in["contexts"]["trace"]["trace_id"] == trace["trace_id"]


def test_monitor_decorator_checks_in_progress_then_ok_or_error(receiver) -> None:
    @monitor(monitor_slug="report", monitor_config=CONFIG)
    def report(fail: bool) -> str:
        if fail:
            raise ValueError("no data")
        return "done"

    assert report(False) == "done"
    with pytest.raises(ValueError):
        report(True)
    first_start, first_end, second_start, second_end = check_ins(receiver, 4)
    assert [c["status"] for c in (first_start, first_end, second_start, second_end)] == [
        "in_progress",
        "ok",
        "in_progress",
        "error",
    ]
    assert first_start["check_in_id"] == first_end["check_in_id"]
    assert second_start["check_in_id"] == second_end["check_in_id"] != first_end["check_in_id"]
    assert first_start["duration"] is None and first_end["duration"] >= 0
    assert first_end["monitor_config"] == CONFIG
    assert report.__name__ == "report"


def test_monitor_on_a_coroutine_and_as_a_context_manager(receiver) -> None:
    @scopetel.monitor(monitor_slug="async-job")
    async def job() -> int:
        await asyncio.sleep(0)
        return 7

    assert asyncio.run(job()) == 7
    with pytest.raises(KeyError), monitor(monitor_slug="block"):
        raise KeyError("missing")
    results = check_ins(receiver, 4)
    assert [(c["monitor_slug"], c["status"]) for c in results] == [
        ("async-job", "in_progress"),
        ("async-job", "ok"),
        ("block", "in_progress"),
        ("block", "error"),
    ]


def test_parallel_runs_of_one_monitor_get_their_own_ids(receiver) -> None:
    barrier = threading.Barrier(4)

    @monitor(monitor_slug="parallel")
    def run() -> None:
        barrier.wait(5)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = check_ins(receiver, 8)
    started = {c["check_in_id"] for c in results if c["status"] == "in_progress"}
    ended = {c["check_in_id"] for c in results if c["status"] == "ok"}
    assert len(started) == 4 and started == ended


def test_without_slug_or_client_nothing_is_sent() -> None:
    with SentryReceiver() as receiver:
        scopetel.init(dsn=receiver.dsn)
        assert capture_checkin(status="ok") is None
        scopetel.init()  # no DSN
        assert capture_checkin("job", status="ok") is None
        scopetel.flush(2)
        assert receiver.items("check_in") == []
