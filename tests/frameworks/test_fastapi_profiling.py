"""The FastAPI service profiled (``trace`` lifecycle) under ``opentelemetry-instrument
uvicorn``: a sync endpoint runs in one of anyio's worker threads, and its transaction
names that thread, so that Sentry's flame graph under it shows the endpoint, not the
event loop waiting (as sentry-sdk's ``update_active_thread`` does); an async endpoint's
names the loop's thread."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.frameworks import launch
from tests.frameworks.conftest import Launched
from tests.frameworks.received import (
    assert_all_valid,
    samples_inside,
    trace_of,
    transactions_where,
)
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import SentryReceiver

REQUESTS = 24
AT_ONCE = 4  # concurrent requests: the worker threads are not always the same one


@pytest.fixture(scope="module")
def profiled(
    blog: Launched, otlp: OtlpHttpReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Launched]:
    logs = tmp_path_factory.mktemp("profiled")
    with SentryReceiver() as sentry:
        env = launch.SCOPETEL.environment(
            sentry.dsn,
            otlp.url,
            BLOG_URL=blog.url,
            SENTRY_PROFILE_SESSION_SAMPLE_RATE="1.0",
            SENTRY_PROFILE_LIFECYCLE="trace",
        )
        with launch.service_server(launch.SCOPETEL, env, logs, "profiled") as server:
            app = Launched(server, sentry)
            paths = ["/blog-sync/1", "/items/1"] * REQUESTS
            with ThreadPoolExecutor(AT_ONCE) as pool:
                for response in pool.map(
                    lambda path: requests.get(app.url + path, timeout=10), paths
                ):
                    response.raise_for_status()
            for path in ("/blog-sync/1", "/items/1"):
                transactions_where(sentry, _by_path(path), REQUESTS)
            server.stop()  # the chunk is sent at shutdown at the latest
            sentry.wait_for(lambda: bool(sentry.items("profile_chunk")), timeout=10)
            yield app
        assert sentry.errors == []


def _by_path(path: str) -> Any:
    return lambda t: str((t.get("request") or {}).get("url", "")).endswith(path)


def _threads(app: Launched, path: str) -> set[tuple[str, str]]:
    found = transactions_where(app.sentry, _by_path(path), REQUESTS)
    return {(trace_of(t)["data"]["thread.id"], trace_of(t)["data"]["thread.name"]) for t in found}


def test_a_sync_endpoint_names_its_worker_thread(profiled: Launched) -> None:
    assert_all_valid(profiled.sentry)
    async_threads = _threads(profiled, "/items/1")
    assert {name for _, name in async_threads} == {"MainThread"}
    assert {name for _, name in _threads(profiled, "/blog-sync/1")} == {"AnyIO worker thread"}
    # What Sentry shows under each transaction: the samples of the thread it names,
    # during it. Under most of them that is the endpoint at work (the loop's thread
    # would only show it waiting); overlapping requests make an exact check impossible.
    samples = [(at, thread) for _, at, thread in samples_inside(profiled.sentry, "blog_post_sync")]
    shown = 0
    for transaction in transactions_where(profiled.sentry, _by_path("/blog-sync/1"), REQUESTS):
        start, end = transaction["start_timestamp"], transaction["timestamp"]
        named = trace_of(transaction)["data"]["thread.id"]
        shown += any(start <= at <= end and thread == named for at, thread in samples)
    assert shown >= REQUESTS // 2, f"{shown} of {REQUESTS} show their endpoint"
