"""Importing the integration of a library that is not installed raises DidNotEnable, as
sentry_sdk does (redis: when init() sets it up); the base classes are sentry_sdk's."""

import importlib
import sys

import pytest

import scopetel
from scopetel.integrations import DidNotEnable, Integration, _registry
from tests.integrations.conftest import AUTO_ENABLING, Start

LIBRARIES = {
    **{name: library for name, library in AUTO_ENABLING.items() if name != "redis"},
    "wsgi": "scopetel_instrumentation_wsgi",
    "asgi": "scopetel_instrumentation_asgi",
}
ALWAYS = ["argv", "asyncio", "atexit", "dedupe", "excepthook", "gnu_backtrace", "logging"]
ALWAYS += ["modules", "redis", "stdlib", "threading"]


def _missing(monkeypatch: pytest.MonkeyPatch, library: str, integration: str) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # import fails as if not installed
    monkeypatch.delitem(sys.modules, f"scopetel.integrations.{integration}", raising=False)


@pytest.mark.parametrize(("integration", "library"), sorted(LIBRARIES.items()))
def test_importing_without_the_library_raises_did_not_enable(
    monkeypatch: pytest.MonkeyPatch, integration: str, library: str
) -> None:
    _missing(monkeypatch, library, integration)
    with pytest.raises(DidNotEnable, match="not installed"):
        importlib.import_module(f"scopetel.integrations.{integration}")


@pytest.mark.parametrize("integration", ALWAYS)
def test_integrations_of_the_runtime_always_import(integration: str) -> None:
    module = importlib.import_module(f"scopetel.integrations.{integration}")
    classes = [value for value in vars(module).values() if isinstance(value, type)]
    assert any(issubclass(cls, Integration) and cls is not Integration for cls in classes)


def test_redis_without_its_library_is_not_enabled(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scopetel.integrations.redis import RedisIntegration

    monkeypatch.setitem(sys.modules, "redis", None)
    for state in ("_processed", "_installed"):  # as in a process that never set redis up
        monkeypatch.setattr(_registry, state, set())
    start(integrations=[RedisIntegration()], default_integrations=False)
    assert scopetel.get_client().get_integration(RedisIntegration) is None


def test_an_auto_enabling_integration_without_its_library_is_skipped(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    _missing(monkeypatch, "httpx", "httpx")
    start()
    assert scopetel.get_client().get_integration("httpx") is None
    assert scopetel.get_client().get_integration("logging") is not None


def test_reached_through_the_sentry_sdk_name() -> None:
    from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger

    import scopetel.integrations.logging as ours

    assert (LoggingIntegration, ignore_logger) == (ours.LoggingIntegration, ours.ignore_logger)
