"""Request-mode release health under real servers (gunicorn, uvicorn; WSGI, ASGI,
Django) configured by environment variables only: each request is a session, counted
per minute in ``sessions`` aggregates, sent when the server stops (or every minute)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.sentry_receiver import SentryReceiver
from tests.web.servers import APPS, CONTEXT_ERRORS, RunningServer, Setup

HEALTH_APPS = Path(__file__).parent / "apps"
RELEASE = {"SENTRY_RELEASE": "web@2.0.0", "SENTRY_ENVIRONMENT": "staging"}


def setup(name: str, server: str, app: str, framework: str, **kwargs: Any) -> Setup:
    env = {**RELEASE, "PYTHONPATH": f"{HEALTH_APPS}:{APPS}", **kwargs.pop("env", {})}
    return Setup(name, server, app, framework, contrib=False, env=env, **kwargs)


def counted(receiver: SentryReceiver) -> tuple[Counter[str], list[dict[str, Any]]]:
    totals: Counter[str] = Counter()
    payloads = [item.json for item in receiver.items("sessions")]
    for payload in payloads:
        for aggregate in payload["aggregates"]:
            totals.update({k: v for k, v in aggregate.items() if k != "started"})
    return totals, payloads


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as receiver:
        yield receiver
        assert receiver.errors == []


def serve(setup: Setup, receiver: SentryReceiver, tmp_path: Path, paths: list[str]) -> None:
    server = RunningServer(setup, receiver.dsn, tmp_path / "server.log")
    try:
        for path in paths:
            requests.get(server.url + path, timeout=15)
    finally:
        server.stop()
    output = server.log_path.read_text()
    assert not [line for line in output.splitlines() if any(e in line for e in CONTEXT_ERRORS)]


def test_gunicorn_wsgi_requests_are_counted_by_outcome(receiver, tmp_path) -> None:
    paths = ["/ok", "/ok", "/message", "/handled", "/crash", "/ok"]
    wsgi = setup("health-wsgi", "gunicorn", "health_wsgi:application", "wsgi")
    serve(wsgi, receiver, tmp_path, paths)
    receiver.wait_for(lambda: counted(receiver)[0].total() == len(paths), timeout=15)
    totals, payloads = counted(receiver)
    assert totals == {"exited": 4, "errored": 1, "crashed": 1}
    assert {tuple(sorted(p["attrs"].items())) for p in payloads} == {
        (("environment", "staging"), ("release", "web@2.0.0"))
    }
    for payload in payloads:
        for aggregate in payload["aggregates"]:
            assert aggregate["started"].endswith(":00.000000Z")
    # the master never served a request: no application session from any process
    assert receiver.items("session") == []


@pytest.mark.parametrize(
    ("server", "app", "framework", "crash"),
    [
        ("uvicorn", "plain_asgi:application", "asgi", "/error/abcdef/"),
        ("gunicorn", "djangoapp.wsgi:application", "django", "/error/abcdef/"),
    ],
    ids=["asgi-uvicorn", "django-gunicorn"],
)
def test_asgi_and_django_requests_are_sessions(
    receiver, tmp_path, server: str, app: str, framework: str, crash: str
) -> None:
    paths = ["/tagged/abcdef/", "/tagged/ghijkl/", crash]
    serve(setup(f"health-{framework}", server, app, framework), receiver, tmp_path, paths)
    receiver.wait_for(lambda: counted(receiver)[0].total() == 3, timeout=15)
    assert counted(receiver)[0] == {"exited": 2, "crashed": 1}
    assert receiver.items("session") == []


def test_no_release_no_sessions(receiver, tmp_path) -> None:
    wsgi = setup("health-wsgi", "gunicorn", "health_wsgi:application", "wsgi")
    wsgi.env["SENTRY_RELEASE"] = ""
    serve(wsgi, receiver, tmp_path, ["/ok", "/crash"])
    receiver.wait_for(lambda: len(receiver.events()) == 1, timeout=15)
    assert receiver.items("sessions") == [] and receiver.items("session") == []
