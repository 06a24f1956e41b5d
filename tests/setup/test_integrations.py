"""Default instrumentors: found by entry point, skipped quietly when their library is absent."""

import logging
from collections.abc import Collection
from typing import Any

import pytest

from scopetel._setup import integrations as _integrations


class _NeedsMissingLibrary:
    instrumented = False
    is_instrumented_by_opentelemetry = False

    def instrumentation_dependencies(self) -> Collection[str]:
        return ["surely-not-installed-lib >= 1"]

    def instrument(self, **kwargs: Any) -> None:
        type(self).instrumented = True


class _Plain(_NeedsMissingLibrary):
    def instrumentation_dependencies(self) -> Collection[str]:
        return []


class _EntryPoint:
    def __init__(self, name: str, target: type) -> None:
        self.name = name
        self._target = target

    def load(self) -> type:
        return self._target


def test_instrumentor_whose_library_is_missing_is_skipped_quietly(monkeypatch, caplog) -> None:
    points = [
        _EntryPoint("scopetel_missing", _NeedsMissingLibrary),
        _EntryPoint("scopetel_plain", _Plain),
    ]
    monkeypatch.setattr(_integrations, "scopetel_entry_points", lambda: points)
    caplog.set_level(logging.WARNING)
    enabled = _integrations.instrument_defaults(())
    assert enabled == ["scopetel_plain"]
    assert _Plain.instrumented and not _NeedsMissingLibrary.instrumented
    assert caplog.records == []


@pytest.mark.parametrize("disabled", ["plain", "scopetel_plain"])
def test_disabled_by_short_or_full_name(monkeypatch, disabled: str) -> None:
    monkeypatch.setattr(
        _integrations, "scopetel_entry_points", lambda: [_EntryPoint("scopetel_plain", _Plain)]
    )
    assert _integrations.instrument_defaults([disabled]) == []
