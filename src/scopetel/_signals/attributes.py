"""Attribute values of logs and metrics: what users give, as OpenTelemetry and Sentry take it.

Values are made plain when they are given (``attribute_value``), so nothing keeps a
live reference to the application's objects, and typed for Sentry's wire format when
a batch is sent (``typed``): ``{"value": ..., "type": "string"|"integer"|"double"|
"boolean"|"array"}``.
"""

import math
import platform
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Final

from opentelemetry.context import Context

from scopetel._coerce import text
from scopetel._config.options import Options
from scopetel._context.active_scopes import (
    GLOBAL_SCOPE,
    current_scope_in,
    isolation_scope_in,
)
from scopetel._events.assembly import HOSTNAME
from scopetel._serialize import safe_repr
from scopetel._version import SDK_NAME, VERSION

Plain = bool | int | float | str | list[Any]

MAX_STRING: Final = 65_536  # characters kept of one value (a body, an attribute)
_INT64_MIN: Final = -(2**63)
_INT64_END: Final = 2**63
_PRIMITIVES: Final = (str, int, float, bool)
_RUNTIME_VERSION: Final = ".".join(str(part) for part in sys.version_info[:3])
# user fields sent as attributes when send_default_pii is on (sentry_sdk's names)
_USER_ATTRIBUTES: Final = (
    ("user.id", "id"),
    ("user.name", "username"),
    ("user.email", "email"),
    ("user.ip_address", "ip_address"),
)


def text_value(value: object) -> str:
    """``value`` as bounded text UTF-8 can encode: an ASCII string as it is (cut past
    :data:`MAX_STRING`), anything else by ``scopetel._coerce.text``."""
    if type(value) is not str or not value.isascii():
        value = text(value, "attribute")
    return value if len(value) <= MAX_STRING else value[:MAX_STRING]


def attribute_value(value: object) -> Plain:
    """``value`` as an attribute value both OpenTelemetry and Sentry accept: a string,
    number, bool or a list of one of those (copied); anything else as its ``repr``."""
    kind = type(value)
    if kind is str:
        return text_value(value)
    if kind is bool:
        return value  # type: ignore[return-value]
    if kind is int:
        return value if _INT64_MIN <= value < _INT64_END else str(value)  # type: ignore[operator,return-value]
    if kind is float:
        return value if math.isfinite(value) else str(value)  # type: ignore[arg-type,return-value]
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        first = type(value[0])
        if first in _PRIMITIVES and all(type(item) is first for item in value):
            return [attribute_value(item) for item in value]
    elif isinstance(value, _PRIMITIVES):  # subclasses (IntEnum, StrEnum …): the plain value
        return attribute_value(_plain(value))
    return safe_repr(value, MAX_STRING)


def _plain(value: str | int | float) -> object:
    try:
        if isinstance(value, str):
            return str.__getitem__(value, slice(None))
        if isinstance(value, bool):
            return bool(value)
        return int.__index__(value) if isinstance(value, int) else float.__float__(value)
    except Exception:
        return safe_repr(value, MAX_STRING)


def parameter_value(value: object) -> Plain:
    """A message parameter as sentry_sdk sends it: a string, number or bool as it is,
    anything else (lists too) as its ``repr``."""
    if isinstance(value, _PRIMITIVES):
        return attribute_value(value)
    return safe_repr(value, MAX_STRING)


def attribute_values(values: object) -> dict[str, Plain]:
    """``attribute_value`` of each entry of a mapping (keys as text); {} for anything else."""
    if not isinstance(values, Mapping):
        return {}
    try:
        items = list(values.items())
    except Exception:
        return {}
    return {text_value(key): attribute_value(value) for key, value in items}


def typed(value: object) -> dict[str, Any]:
    """One attribute in Sentry's wire format."""
    kind = type(value)
    if kind is str:
        return {"value": value, "type": "string"}
    if kind is bool:
        return {"value": value, "type": "boolean"}
    if kind is int:
        if _INT64_MIN <= value < _INT64_END:  # type: ignore[operator]
            return {"value": value, "type": "integer"}
        return {"value": str(value), "type": "string"}
    if kind is float:
        if math.isfinite(value):  # type: ignore[arg-type]
            return {"value": value, "type": "double"}
        return {"value": str(value), "type": "string"}
    if isinstance(value, (list, tuple)):
        plain = attribute_value(list(value))
        if isinstance(plain, list):
            return {"value": plain, "type": "array"}
        return {"value": plain, "type": "string"}
    return typed(attribute_value(value))


def typed_all(attributes: Iterable[tuple[str, object]]) -> dict[str, dict[str, Any]]:
    return {key: typed(value) for key, value in attributes}


def default_attributes(options: Options) -> dict[str, Plain]:
    """What sentry_sdk puts on every log and metric: SDK, runtime, host, environment,
    release (its global scope's attributes)."""
    attributes: dict[str, Plain] = {
        "sentry.sdk.name": SDK_NAME,
        "sentry.sdk.version": VERSION,
        "process.runtime.name": platform.python_implementation(),
        "process.runtime.version": _RUNTIME_VERSION,
        "server.address": options.server_name or HOSTNAME,
    }
    if options.environment:
        attributes["sentry.environment"] = options.environment
    if options.release:
        attributes["sentry.release"] = options.release
    return attributes


def user_attributes(ctx: Context) -> dict[str, Plain]:
    """``user.*`` of the scopes of ``ctx`` (current over isolation over global), for
    clients with ``send_default_pii``, as sentry_sdk adds them."""
    for scope in (current_scope_in(ctx), isolation_scope_in(ctx), GLOBAL_SCOPE):
        user = scope.data.user
        if user is not None:
            return {
                name: attribute_value(user[field])
                for name, field in _USER_ATTRIBUTES
                if user.get(field) is not None
            }
    return {}
