"""The FastAPI service profiled (``trace`` lifecycle) under ``opentelemetry-instrument
uvicorn``: a sync endpoint runs in one of anyio's worker threads, and its transaction
names that thread, so that Sentry's flame graph under it shows the endpoint, not the
event loop waiting (as sentry-sdk's ``update_active_thread`` does); an async endpoint's
names the loop's thread."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.frameworks import launch
from tests.frameworks.conftest import Launched
from tests.frameworks.received import assert_all_valid, trace_of, transactions_where
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.sentry_receiver import SentryReceiver

REQUESTS = 8


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
            for _ in range(REQUESTS):
                for path in ("/blog-sync/1", "/items/1"):
                    requests.get(f"{app.url}{path}", timeout=10).raise_for_status()
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
    sync_threads = _threads(profiled, "/blog-sync/1")
    async_threads = _threads(profiled, "/items/1")
    assert {name for _, name in async_threads} == {"MainThread"}
    assert {name for _, name in sync_threads} == {"AnyIO worker thread"}
    # ... and the samples of the threads named hold the endpoint's frames
    endpoint_threads = set()
    for chunk in profiled.sentry.items("profile_chunk"):
        profile = chunk.json["profile"]
        frames, stacks = profile["frames"], profile["stacks"]
        for sample in profile["samples"]:
            names = {frames[index].get("function") for index in stacks[sample["stack_id"]]}
            if "blog_post_sync" in names:
                endpoint_threads.add(sample["thread_id"])
    assert endpoint_threads, "no sample caught the sync endpoint"
    assert endpoint_threads <= {thread for thread, _ in sync_threads}
