"""Attribute values and keys validated as OpenTelemetry's ``BoundedAttributes`` does.

Values of the scalar types are kept; strings are cut to the length limit; sequences
become tuples and mappings plain dicts, recursively; any other object becomes its text
when its type defines ``__str__`` or ``__repr__``, else ``None``. A key must be a
non-empty string. When a dict is full, the oldest key makes room, and a key set again
moves to the end. Every value or key dropped and every eviction counts as dropped.
The common case (a string key, a value of one scalar type) takes no call at all.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from opentelemetry.util.types import AnyValue

LOGGER: Final = logging.getLogger("opentelemetry.attributes")
SCALARS: Final = frozenset({str, int, float, bool})
_PLAIN: Final = (type(None), bool, int, float, bytes)


def _has_text(value: object) -> bool:
    kind = type(value)
    return kind.__str__ is not object.__str__ or kind.__repr__ is not object.__repr__


def clean_value(value: object, max_length: int | None) -> AnyValue:
    """``value`` as an attribute value (see the module docstring)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, str):
        if max_length is not None and len(value) > max_length:
            LOGGER.warning(
                "String attribute value exceeds max length of %d, truncating.", max_length
            )
            return value[:max_length]
        return value
    if isinstance(value, Sequence):
        return tuple(clean_value(item, max_length) for item in value)
    if isinstance(value, Mapping):
        return clean_mapping(value, max_length)
    LOGGER.warning(
        "Invalid type `%s` for attribute value; its text is used when it has one, else None.",
        type(value),
    )
    return str(value) if _has_text(value) else None


def clean_mapping(values: Mapping[Any, object], max_length: int | None) -> dict[str, AnyValue]:
    """A mapping's valid entries, cleaned; keys that are not strings become their text
    when their type defines one, else the entry is left out (as are empty keys)."""
    result: dict[str, AnyValue] = {}
    for key, value in values.items():
        if not key:
            LOGGER.warning("invalid attribute key `%s`: must be a non-empty string; dropped", key)
            continue
        if not isinstance(key, str):
            LOGGER.warning("Invalid type `%s` for attribute key `%s`", type(key), key)
            if not _has_text(key):
                continue
            key = str(key)
        result[key] = clean_value(value, max_length)
    return result


def put(
    attributes: dict[str, AnyValue],
    key: str,
    value: AnyValue,
    max_count: int | None,
) -> int:
    """Store an already clean ``value`` under a valid ``key``; returns how many entries
    were dropped (0, or 1 when the oldest made room or nothing may be stored)."""
    attributes.pop(key, None)  # a key set again moves to the end
    if max_count is not None and len(attributes) >= max_count:
        if max_count == 0:
            return 1
        LOGGER.warning("Attributes dict is full. Dropping the oldest key-value pair.")
        del attributes[next(iter(attributes))]
        attributes[key] = value
        return 1
    attributes[key] = value
    return 0


def set_one(
    attributes: dict[str, AnyValue],
    key: object,
    value: object,
    max_count: int | None,
    max_length: int | None,
) -> int:
    """``attributes[key] = value`` the OpenTelemetry way; returns the count dropped."""
    if max_count == 0:
        return 1
    if not key or not isinstance(key, str):
        LOGGER.warning("invalid key `%s`. must be non-empty string. Dropping key.", key)
        return 1
    kind = type(value)
    if kind is str:
        if max_length is not None and len(value) > max_length:  # type: ignore[arg-type]
            value = clean_value(value, max_length)
    elif kind is not int and kind is not float and kind is not bool:
        value = clean_value(value, max_length)
    return put(attributes, key, value, max_count)  # type: ignore[arg-type]


def set_many(
    attributes: dict[str, AnyValue],
    values: Mapping[Any, object],
    max_count: int | None,
    max_length: int | None,
) -> int:
    """``attributes.update(values)`` the OpenTelemetry way; returns the count dropped."""
    if max_count == 0:
        return len(values)
    cleaned = _simple(values, max_length)
    if cleaned is None:
        cleaned = clean_mapping(values, max_length)
    elif (max_count is None or len(attributes) + len(cleaned) <= max_count) and (
        attributes.keys().isdisjoint(cleaned)
    ):
        attributes.update(cleaned)  # new keys with room: nothing moves, nothing evicted
        return 0
    dropped = len(values) - len(cleaned)
    for key, value in cleaned.items():
        dropped += put(attributes, key, value, max_count)
    return dropped


def initial(
    values: Mapping[Any, object] | None, max_count: int | None, max_length: int | None
) -> tuple[dict[str, AnyValue], int]:
    """A span's own attribute dict from the ones it starts with, and the count dropped."""
    if not values:
        return {}, 0
    cleaned = _simple(values, max_length)
    if cleaned is not None and (max_count is None or len(cleaned) <= max_count):
        return cleaned, 0
    attributes: dict[str, AnyValue] = {}
    return attributes, set_many(attributes, values, max_count, max_length)


def _simple(values: Mapping[Any, object], max_length: int | None) -> dict[str, AnyValue] | None:
    """A copy of ``values`` when every key is a non-empty str and every value a scalar
    within the length limit (nothing to clean); else None."""
    try:
        items = values.items()
    except Exception:
        return None
    result: dict[str, AnyValue] = {}
    for key, value in items:
        kind = type(value)
        if type(key) is not str or not key or kind not in SCALARS:
            return None
        if kind is str and max_length is not None and len(value) > max_length:  # type: ignore[arg-type]
            return None
        result[key] = value  # type: ignore[assignment]
    return result
