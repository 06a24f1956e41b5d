"""The profiler under ``opentelemetry-instrument gunicorn -w 2 --preload`` (``manual``
lifecycle, started at import, so in the master before the workers are forked): each
worker profiles with a profiler of its own, and each transaction links to a chunk of
its own worker with samples of its endpoint at work on its thread, during it.
(sentry-sdk 2.75's profiler does not restart in a forked worker: its workers send no
chunk, and their transactions name the master's profiler, whose chunk shows the master
idle.)"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.harness import Server, free_port
from tests.frameworks import launch
from tests.frameworks.received import (
    assert_all_valid,
    samples_inside,
    trace_of,
    transactions_where,
)
from tests.support.sentry_receiver import SentryReceiver

REQUESTS = 24
AT_ONCE = 4  # more than the workers: both serve


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentryReceiver]:
    logs: Path = tmp_path_factory.mktemp("gunicorn-profiled")
    with SentryReceiver() as sentry:
        env = launch.SCOPETEL.environment(
            sentry.dsn,
            SENTRY_PROFILE_SESSION_SAMPLE_RATE="1.0",
            SENTRY_PROFILE_LIFECYCLE="manual",
            BUSY_START_PROFILER="1",
        )
        port = free_port()
        command = launch.SCOPETEL.command(
            "gunicorn",
            *("-w", "2", "--preload", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5"),
            "busy:app",
        )
        server = Server(
            command,
            env,
            port,
            logs / "gunicorn.log",
            cwd=launch.APPS,
            start_timeout=launch.START_TIMEOUT,
        )
        with server:
            with ThreadPoolExecutor(AT_ONCE) as pool:
                answers = list(
                    pool.map(
                        lambda _: requests.get(f"{server.url}/busy", timeout=20),
                        range(REQUESTS),
                    )
                )
            for answer in answers:
                answer.raise_for_status()
            transactions_where(sentry, _busy, REQUESTS)
            server.stop()  # the workers' and the master's chunks are sent at shutdown
            sentry.wait_for(lambda: len(_profilers(sentry)) >= 3, timeout=15)
            assert len({answer.json()["pid"] for answer in answers}) == 2, "one worker served"
        yield sentry


def _busy(transaction: Any) -> bool:
    return str((transaction.get("request") or {}).get("url", "")).endswith("/busy")


def _profilers(sentry: SentryReceiver) -> set[str]:
    return {chunk.json["profiler_id"] for chunk in sentry.items("profile_chunk")}


def test_each_worker_profiles_and_its_transactions_link_to_its_samples(
    received: SentryReceiver,
) -> None:
    assert_all_valid(received)
    transactions = transactions_where(received, _busy, REQUESTS)
    linked = {trace_of(t)["data"]["profiler_id"] for t in transactions}
    profilers = _profilers(received)
    assert len(linked) == 2, linked  # one a worker, neither the master's
    assert linked < profilers  # and the master's chunk (it profiled from import) besides
    samples: dict[str, list[tuple[float, str]]] = {}
    for profiler_id, at, thread in samples_inside(received, "busy_work"):
        samples.setdefault(profiler_id, []).append((at, thread))
    shown = 0
    for transaction in transactions:
        start, end = transaction["start_timestamp"], transaction["timestamp"]
        data = trace_of(transaction)["data"]
        assert transaction["contexts"]["profile"]["profiler_id"] == data["profiler_id"]
        shown += any(
            start <= at <= end and thread == str(data["thread.id"])
            for at, thread in samples[data["profiler_id"]]
        )
    # ~30 ms of CPU a request at 101 Hz: a few samples each, but two workers share
    # two cores with the test itself, so a request may get none
    assert shown >= REQUESTS * 3 // 4, f"{shown} of {REQUESTS} show busy_work under them"
