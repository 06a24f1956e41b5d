"""Sentry's values turned into what OpenTelemetry spans hold: times in integer
nanoseconds, attribute values of the types OTLP allows, HTTP status codes."""

import json
from datetime import datetime
from typing import Any, Final

from opentelemetry.util.types import AttributeValue

from scopetel._coerce import dropped, finite_number, text, timestamp_ns
from scopetel._serialize import safe_repr

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1  # OTLP and Relay hold 64-bit integers


def to_ns(timestamp: datetime | float | int | None, what: str = "timestamp") -> int | None:
    """Sentry accepts datetimes or float seconds; OTel wants integer nanoseconds.

    None (the span's clock decides) for anything that is not a time Relay accepts.
    """
    return None if timestamp is None else timestamp_ns(timestamp, what)


def attribute_value(value: object) -> AttributeValue:
    """Coerce Sentry ``data`` values into the types OTel attributes (and OTLP) allow."""
    if isinstance(value, str):
        return value if type(value) is str and value.isascii() else text(value, "data value")
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        number = int.__int__(value)  # an int subclass's own methods may do anything
        return number if _INT64_MIN <= number <= _INT64_MAX else safe_repr(number)
    if isinstance(value, float):
        return float.__float__(value)
    if (type(value) is list or type(value) is tuple) and value:
        sequence = _homogeneous(value)
        if sequence is not None:
            return sequence
    try:
        return json.dumps(value, default=safe_repr, separators=(",", ":"))
    except Exception:  # a cycle, a RecursionError, a hostile object inside
        return safe_repr(value)


def _homogeneous(items: list[Any] | tuple[Any, ...]) -> AttributeValue | None:
    """A list of one scalar type, as OTel attributes allow; None for any other list."""
    kinds = {type(item) for item in items}
    if len(kinds) != 1:
        return None
    kind = kinds.pop()
    if kind is str or kind is bool or kind is float:
        return list(items)
    if kind is int and all(_INT64_MIN <= item <= _INT64_MAX for item in items):
        return list(items)
    return None


def http_status_code(value: object) -> int | None:
    """An HTTP status code (100-999), or None with a debug line."""
    number = finite_number(value, "set_http_status")
    if number is not None and number == int(number) and 100 <= number <= 999:
        return int(number)
    if number is not None:
        dropped("set_http_status", value, "is not an HTTP status code; ignored:")
    return None
