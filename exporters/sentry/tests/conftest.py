"""Fixtures for the Sentry exporter tests: a strict receiver and fast transports."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from scopetel_exporter_sentry import HttpTransport

from tests.support.sentry_receiver import SentryReceiver

# Small timeouts and backoffs keep the fault tests fast.
FAST: dict[str, Any] = {"timeout": 2.0, "backoff_initial": 0.02, "backoff_max": 0.1}

MakeTransport = Callable[..., HttpTransport]


@pytest.fixture(autouse=True)
def _no_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as running:
        yield running


@pytest.fixture
def make_transport() -> Iterator[MakeTransport]:
    """Build transports with fast settings (overridable); all are closed at teardown."""
    made: list[HttpTransport] = []

    def make(dsn: str | SentryReceiver, **options: Any) -> HttpTransport:
        target = dsn.dsn if isinstance(dsn, SentryReceiver) else dsn
        transport = HttpTransport(target, **{**FAST, **options})
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close(timeout=0.1)
