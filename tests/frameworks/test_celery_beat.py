"""Celery beat schedules as cron monitors, and release health of a worker: a real
``celery beat`` and a real worker (solo pool) on redis, both launched as
``opentelemetry-instrument celery -A tasks beat|worker`` with
``SCOPETEL_CELERY_MONITOR_BEAT_TASKS=true`` and a release, reporting to one strict
receiver (the same DSN, as one project would).

The schedule (``apps/tasks.py``): ``report-every-minute`` (an interval of one minute,
``tasks.add``) and ``cleanup-crontab`` (``*/1 * * * *``, ``tasks.fail``) are due at once
(their last run is set two days back), ``excluded-hourly`` is due at once but
excluded, ``tick-every-second`` runs every second: shorter than Sentry can monitor.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.frameworks import launch, workloads
from tests.frameworks.received import Payload, assert_all_valid, trace_of, transactions_where
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import SentryReceiver

QUEUE = "scopetel-beat"
INTERVAL = {"schedule": {"type": "interval", "value": 1, "unit": "minute"}, "timezone": "UTC"}
CRONTAB = {"schedule": {"type": "crontab", "value": "*/1 * * * *"}, "timezone": "UTC"}


@dataclass
class BeatRun:
    sentry: SentryReceiver
    beat_output: str
    worker_output: str

    def check_ins(self, slug: str | None = None) -> list[Payload]:
        found = [item.json for item in self.sentry.items("check_in")]
        return [c for c in found if slug is None or c["monitor_slug"] == slug]

    def first_run(self, slug: str) -> tuple[Payload, Payload]:
        """The first check-in of ``slug`` and the one closing that run (same id): a
        schedule may start its next run before the first one ends on a loaded machine."""
        found = self.check_ins(slug)
        opened = found[0]
        closed = next(c for c in found[1:] if c["check_in_id"] == opened["check_in_id"])
        return opened, closed


def _closed(sentry: SentryReceiver, slug: str) -> bool:
    return any(
        item.json["monitor_slug"] == slug and item.json["status"] != "in_progress"
        for item in sentry.items("check_in")
    )


@pytest.fixture(scope="module")
def beat_run(
    redis_url: str, otlp: OtlpHttpReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BeatRun]:
    """Worker and beat started together; the monitored entries run once, the
    one-second entry a few times, three more tasks are sent by a plain client; then
    both processes are stopped (release health is sent at exit)."""
    logs = tmp_path_factory.mktemp("beat")
    with SentryReceiver() as sentry:
        env = launch.SCOPETEL.environment(
            sentry.dsn,
            otlp.url,
            REDIS_URL=redis_url,
            SCOPETEL_CELERY_MONITOR_BEAT_TASKS="true",
            SCOPETEL_CELERY_EXCLUDE_BEAT_TASKS="excluded-.*",
        )
        worker = launch.celery_worker(launch.SCOPETEL, env, logs, "solo", queue=QUEUE)
        beat = launch.celery_beat(launch.SCOPETEL, env, logs, QUEUE)
        try:
            with ThreadPoolExecutor(2) as starting:
                list(starting.map(lambda server: server.__enter__(), (worker, beat)))
            sentry.wait_for(
                lambda: (
                    _closed(sentry, "report-every-minute") and _closed(sentry, "cleanup-crontab")
                ),
                timeout=30,
            )
            transactions_where(sentry, lambda t: t["transaction"] == "tasks.tick", count=3)
            client = workloads.celery_client(redis_url, QUEUE)
            for name in ("plain", "handled", "tick"):
                workloads.run_task(client, name, "health")
            client.close()
            beat.stop()
            worker.stop()
            outputs = beat.output(), worker.output()
        finally:
            beat.__exit__(None, None, None)
            worker.__exit__(None, None, None)
        sentry.wait_for(lambda: bool(sentry.items("sessions")), timeout=15)
        time.sleep(0.5)  # anything else sent at exit
        yield BeatRun(sentry, *outputs)
        assert sentry.errors == []


def test_a_monitored_run_opens_and_closes_one_check_in(beat_run: BeatRun) -> None:
    opened, closed = beat_run.first_run("report-every-minute")
    assert (opened["status"], closed["status"]) == ("in_progress", "ok")
    assert opened["check_in_id"] == closed["check_in_id"] and len(opened["check_in_id"]) == 32
    assert opened["duration"] is None
    assert 0 <= closed["duration"] < 30  # from beat sending the task to its end
    assert opened["monitor_config"] == closed["monitor_config"] == INTERVAL
    assert closed["release"] == launch.RELEASE


def test_check_ins_share_the_trace_of_the_task(beat_run: BeatRun) -> None:
    """Beat's check-in is made inside the send, so the task continues its trace."""
    opened, closed = beat_run.first_run("report-every-minute")
    trace_id = opened["contexts"]["trace"]["trace_id"]
    assert closed["contexts"]["trace"]["trace_id"] == trace_id
    (task,) = transactions_where(
        beat_run.sentry,
        lambda t: t["transaction"] == "tasks.add" and trace_of(t)["trace_id"] == trace_id,
    )
    assert trace_of(task)["op"] == "queue.task.celery"
    span_ids = {trace_of(task)["span_id"], *(s["span_id"] for s in task["spans"])}
    assert closed["contexts"]["trace"]["span_id"] in span_ids


def test_a_failing_run_closes_its_check_in_as_error(beat_run: BeatRun) -> None:
    opened, closed = beat_run.first_run("cleanup-crontab")
    assert (opened["status"], closed["status"]) == ("in_progress", "error")
    assert opened["check_in_id"] == closed["check_in_id"]
    assert closed["monitor_config"] == CRONTAB


def test_excluded_and_sub_minute_entries_are_not_monitored(beat_run: BeatRun) -> None:
    slugs = {check_in["monitor_slug"] for check_in in beat_run.check_ins()}
    assert slugs == {"report-every-minute", "cleanup-crontab"}
    assert "Sending due task excluded-hourly" in beat_run.beat_output
    assert beat_run.beat_output.count("'tick-every-second' runs every 1 s") == 1  # warned once


def test_check_ins_are_what_sentry_sdk_sends(beat_run: BeatRun) -> None:
    for check_in in beat_run.check_ins():
        assert {"check_in_id", "monitor_slug", "status", "environment", "release"} <= set(check_in)
        assert set(check_in["contexts"]["trace"]) >= {"trace_id", "span_id"}
    envelopes = [e for e in beat_run.sentry.envelopes if e.items[0].type == "check_in"]
    assert all(e.headers["trace"]["release"] == launch.RELEASE for e in envelopes)


def _totals(sentry: SentryReceiver) -> Counter[str]:
    totals: Counter[str] = Counter()
    for item in sentry.items("sessions"):
        assert item.json["attrs"]["release"] == launch.RELEASE
        for aggregate in item.json["aggregates"]:
            totals.update({k: v for k, v in aggregate.items() if k != "started"})
    return totals


def test_a_worker_counts_its_tasks_as_request_sessions(beat_run: BeatRun) -> None:
    """Each task run is a session; the worker and beat processes send no ``session``."""
    sentry = beat_run.sentry
    assert sentry.items("session") == []
    totals = _totals(sentry)
    runs = Counter(t["transaction"] for t in sentry.transactions())
    assert totals["crashed"] == runs["tasks.fail"] >= 1  # cleanup-crontab: unhandled
    assert totals["errored"] == runs["tasks.handled"] == 1  # captured, handled
    assert totals.total() == runs.total()  # every run, beat's and the client's
    assert totals["exited"] == runs.total() - totals["crashed"] - totals["errored"]


def test_everything_sent_is_relay_valid(beat_run: BeatRun) -> None:
    assert_all_valid(beat_run.sentry)
