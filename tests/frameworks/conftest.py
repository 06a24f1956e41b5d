"""Shared fixtures of the framework tests: redis, an OTLP receiver, and the blog (Flask
under gunicorn, launched through ``opentelemetry-instrument``) with its own Sentry
receiver, started once for the session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.e2e.harness import Server
from tests.frameworks import launch, workloads
from tests.frameworks.received import Payload, transactions_where
from tests.support.otlp_receiver import OtlpHttpReceiver
from tests.support.redis_server import redis_url  # noqa: F401  (a fixture)
from tests.support.sentry_receiver import SentryReceiver


@dataclass
class Launched:
    """A server or worker under ``opentelemetry-instrument`` and what its Sentry got."""

    server: Server
    sentry: SentryReceiver
    start_up: list[Payload] = field(default_factory=list)  # transactions before the probe

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpHttpReceiver]:
    with OtlpHttpReceiver() as receiver:
        yield receiver
        assert receiver.errors == []


def start_up_transactions(app: Launched, probe_path: str) -> list[Payload]:
    """Request ``probe_path`` once; the transactions that arrived before its own.

    The transport sends in order, so whatever the process sent at start-up (outside any
    request) has arrived by the time the probe's transaction has."""
    requests.get(f"{app.url}{probe_path}", timeout=10).raise_for_status()
    (probe,) = transactions_where(
        app.sentry, lambda t: t.get("request", {}).get("url", "").endswith(probe_path)
    )
    received = app.sentry.transactions()
    return received[: received.index(probe)]


@contextmanager
def running_blog(
    redis: str, otlp: OtlpHttpReceiver, logs: Path, **settings: str
) -> Iterator[Launched]:
    """The blog under ``opentelemetry-instrument gunicorn`` (one worker, no ``--preload``)
    with its own Sentry receiver; stopped on exit (``server.stop()`` stops it earlier)."""
    with SentryReceiver() as sentry:
        env = launch.SCOPETEL.environment(sentry.dsn, otlp.url, REDIS_URL=redis, **settings)
        with launch.blog_server(launch.SCOPETEL, env, logs) as server:
            yield Launched(server, sentry)
        assert sentry.errors == []


@pytest.fixture(scope="session")
def blog(
    redis_url: str,  # noqa: F811
    otlp: OtlpHttpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Launched]:
    """The blog shared by the session, with one user and one post."""
    with running_blog(redis_url, otlp, tmp_path_factory.mktemp("blog")) as app:
        app.start_up = start_up_transactions(app, "/auth/login")
        session = workloads.blog_login(app.url, "ada")
        workloads.blog_new_post(session, app.url, "first")
        yield app
