"""Validate events with Relay's own normalizer, as Sentry's ingestion would."""

from typing import Any

from sentry_relay import StoreNormalizer

_NORMALIZER = StoreNormalizer()


def _annotations(value: Any, path: str = "") -> set[str]:
    """The paths annotated in ``_meta`` objects found anywhere in ``value``."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "_meta" and isinstance(inner, dict):
                found |= _meta_leaves(inner, path)
            else:
                found |= _annotations(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found |= _annotations(inner, f"{path}[{index}]")
    return found


_SDK_REMOVAL = {"rem": [["!config", "s"]]}
"""The annotation an SDK sends for a value its configuration removed ([Filtered]); Relay
keeps it (moving it where it moves the value, as headers become pairs)."""


def _meta_leaves(meta: dict[str, Any], path: str) -> set[str]:
    found: set[str] = set()
    for key, inner in meta.items():
        if key == "":
            if inner != _SDK_REMOVAL:
                found.add(path or "<event>")
        elif isinstance(inner, dict):
            found |= _meta_leaves(inner, f"{path}.{key}")
    return found


def assert_valid_event(event: dict[str, Any]) -> dict[str, Any]:
    """Normalize ``event`` with Relay; fail on an exception, ``errors``, or a ``_meta``
    annotation of Relay's own (it trimmed or removed data) beyond those the SDK sent."""
    normalized: dict[str, Any] = _NORMALIZER.normalize_event(event)
    errors = normalized.get("errors")
    assert not errors, f"Relay reported errors: {errors!r}"
    added = sorted(_annotations(normalized) - _annotations(event))
    assert not added, f"Relay left _meta entries: {added!r}"
    return normalized
