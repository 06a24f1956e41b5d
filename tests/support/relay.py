"""Validate events with Relay's own normalizer, as Sentry's ingestion would."""

from typing import Any

from sentry_relay import StoreNormalizer

_NORMALIZER = StoreNormalizer()


def _problems(value: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "_meta":
                found.append(f"{path}._meta: {inner!r}")
            else:
                found.extend(_problems(inner, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_problems(inner, f"{path}[{index}]"))
    return found


def assert_valid_event(event: dict[str, Any]) -> dict[str, Any]:
    """Normalize ``event`` with Relay; fail on an exception, ``errors`` or ``_meta``."""
    normalized: dict[str, Any] = _NORMALIZER.normalize_event(event)
    errors = normalized.get("errors")
    assert not errors, f"Relay reported errors: {errors!r}"
    problems = _problems(normalized)
    assert not problems, f"Relay left _meta entries: {problems!r}"
    return normalized
