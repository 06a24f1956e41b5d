"""Typed attributes written straight to JSON text, in the sending thread.

A batch of logs is mostly attributes (``{"value": ..., "type": ...}`` each), and the
attributes every entry shares are the same text every time: they are encoded once
per client (:func:`fragment`) and joined in, and the others are written with the JSON
module's string encoder rather than built as dicts and encoded again.
"""

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

from scopetel._signals.attributes import text_value, typed

_string: Final = json.encoder.encode_basestring  # the C encoder, as json.dumps uses
_INT64_MIN: Final = -(2**63)
_INT64_END: Final = 2**63


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def value(plain: object) -> str:
    """One attribute's ``{"value": ..., "type": ...}`` as JSON text."""
    if type(plain) is str:
        return '{"value":' + _string(plain) + ',"type":"string"}'
    if type(plain) is int and _INT64_MIN <= plain < _INT64_END:
        return '{"value":' + int.__repr__(plain) + ',"type":"integer"}'
    if type(plain) is float and math.isfinite(plain):
        return '{"value":' + float.__repr__(plain) + ',"type":"double"}'
    if type(plain) is bool:
        return '{"value":true,"type":"boolean"}' if plain else '{"value":false,"type":"boolean"}'
    return dumps(typed(plain))


def members(attributes: Iterable[tuple[object, object]]) -> list[str]:
    """``"key":{typed value}`` for each attribute."""
    keys = _keys
    parts: list[str] = []
    for key, plain in attributes:
        encoded = keys.get(key)  # type: ignore[call-overload]
        if encoded is None:
            encoded = _key(key)
        parts.append(encoded + value(plain))
    return parts


def _key(key: object) -> str:
    encoded = _string(key if type(key) is str else str(key)) + ":"
    if len(_keys) < MAX_KEYS and type(key) is str:
        _keys[key] = encoded
    return encoded


MAX_KEYS: Final = 4_096  # attribute names whose JSON text is kept
_keys: dict[str, str] = {}


def fragment(attributes: Mapping[str, object]) -> tuple[frozenset[str], str]:
    """The names and the JSON members of attributes every entry shares."""
    return frozenset(attributes), ",".join(members(attributes.items()))


def string(text: str) -> str:
    return _string(text)


def ids(entry: Mapping[str, object], keys: tuple[str, ...] = ("trace_id", "span_id")) -> str:
    """``,"trace_id":"…"`` and the like for the ``keys`` an entry has (not None)."""
    text = ""
    for key in keys:
        found = entry.get(key)
        if found is not None:
            text += ',"' + key + '":' + _string(text_value(found))
    return text
