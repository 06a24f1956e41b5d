"""Which instrumentors the distro loads under ``opentelemetry-instrument`` (the rest of
the distro and the configurator run in real subprocesses: ``tests/e2e``)."""

from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

from scopetel._config.resolution import forget_auto_options
from scopetel._setup.distro import ScopetelDistro

loaded: list[str] = []


class FakeInstrumentor:
    def instrument(self, **kwargs: object) -> None:
        loaded.append(type(self).__name__)


class OtherInstrumentor(FakeInstrumentor):
    pass


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("SENTRY_DEFAULT_INTEGRATIONS", "SENTRY_DISABLED_INTEGRATIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", raising=False)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    loaded.clear()
    forget_auto_options()
    yield
    forget_auto_options()


def _load(name: str, cls: type = FakeInstrumentor) -> None:
    entry_point = EntryPoint(name, f"{__name__}:{cls.__name__}", "opentelemetry_instrumentor")
    ScopetelDistro().load_instrumentor(entry_point, skip_dep_check=True)


def test_loads_every_instrumentor_by_default() -> None:
    _load("scopetel_fake")
    _load("requests", OtherInstrumentor)
    assert loaded == ["FakeInstrumentor", "OtherInstrumentor"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SENTRY_DEFAULT_INTEGRATIONS", "false"),
        ("SENTRY_DISABLED_INTEGRATIONS", "fake"),
        ("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "other, fake"),
    ],
)
def test_scopetel_instrumentors_can_be_turned_off(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    _load("scopetel_fake")
    _load("requests", OtherInstrumentor)
    assert loaded == ["OtherInstrumentor"]


def test_sdk_disabled_loads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    _load("scopetel_fake")
    _load("requests", OtherInstrumentor)
    assert loaded == []
