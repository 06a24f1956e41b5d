"""Turn arbitrary Python values into bounded, JSON-compatible data, never raising.

Used for extras, contexts, span data and frame local variables. User objects can do
anything in ``__repr__``/``__str__``/``__iter__`` (raise, recurse, return a gigabyte), so
every conversion here is bounded in depth, breadth, total size and string length, and
each failure is replaced by a placeholder string instead of propagating.
"""

import dataclasses
import datetime
import enum
import math
from array import array
from collections import deque
from collections.abc import Callable, ItemsView, Iterable, KeysView, Mapping, ValuesView
from decimal import Decimal
from itertools import islice
from pathlib import PurePath
from typing import Any, Final, TypeAlias, TypeVar
from uuid import UUID

JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None

_T = TypeVar("_T")

CYCLE_MARKER: Final = "<cyclic>"
TRUNCATION_KEY: Final = "..."  # key of the marker entry of a truncated mapping

_ELLIPSIS: Final = "..."
_MAX_REPR_LEVEL: Final = 8  # nesting shown by safe_repr inside builtin containers
_MAX_DEPTH_CAP: Final = 64  # keeps recursion far from the interpreter's limit
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1  # Relay and most JSON parsers hold 64-bit integers exactly

_REPR_DELIMITERS: Final[dict[type, tuple[str, str]]] = {
    list: ("[", "]"),
    tuple: ("(", ")"),
    set: ("{", "}"),
    frozenset: ("frozenset({", "})"),
    dict: ("{", "}"),
}
_SEQUENCE_TYPES: Final = (
    list,
    tuple,
    set,
    frozenset,
    deque,
    array,
    KeysView,
    ValuesView,
    ItemsView,
)


def truncate(text: str, max_length: int) -> str:
    """Cut ``text`` to at most ``max_length`` characters, ending in "..." when cut."""
    if len(text) <= max_length:
        return text
    if max_length <= len(_ELLIPSIS):
        return text[: max(max_length, 0)]
    return text[: max_length - len(_ELLIPSIS)] + _ELLIPSIS


def _type_name(value: object) -> str:
    try:
        name = type.__dict__["__qualname__"].__get__(type(value))
        return name if isinstance(name, str) else "object"
    except Exception:
        return "object"


def broken_repr_placeholder(value: object) -> str:
    """The text shown instead of a value whose ``repr()`` failed."""
    return f"<broken repr of type {_type_name(value)!r}>"


def _plain_str(text: str) -> str:
    """An exact ``str`` with the same characters (drops str subclasses' behaviour)."""
    return str.__getitem__(text, slice(None))


def _bounded_repr(value: object, limit: int, level: int, active: set[int]) -> str:
    """``repr(value)``, but builtin containers stop being rendered past ``limit`` chars.

    Builtin containers are rendered element by element, exactly as ``repr`` would for
    small ones, so that a list of a million items costs no more than a short one.
    """
    kind = type(value)
    if kind is str or kind is bytes or kind is bytearray:
        return repr(value[: limit + 1])  # type: ignore[index]
    delimiters = _REPR_DELIMITERS.get(kind)
    if delimiters is None or not value:
        return _plain_str(repr(value))
    opening, closing = delimiters
    if id(value) in active or level >= _MAX_REPR_LEVEL:
        return opening + _ELLIPSIS + closing
    active.add(id(value))
    try:
        parts: list[str] = []
        used = len(opening)
        pairs = isinstance(value, dict)
        for item in value.items() if isinstance(value, dict) else value:  # type: ignore[attr-defined]
            if used > limit:
                parts.append(_ELLIPSIS)
                break
            if pairs:
                key, inner = item
                key_text = _bounded_repr(key, limit - used, level + 1, active)
                part = key_text + ": " + _bounded_repr(inner, limit - used, level + 1, active)
            else:
                part = _bounded_repr(item, limit - used, level + 1, active)
            part = part[: limit + 1]
            parts.append(part)
            used += len(part) + 2
    finally:
        active.discard(id(value))
    if kind is tuple and len(parts) == 1 and parts[0] != _ELLIPSIS:
        return "(" + parts[0] + ",)"
    return opening + ", ".join(parts) + closing


def safe_repr(value: object, max_length: int = 1024) -> str:
    """``repr(value)`` cut to ``max_length`` characters; never raises.

    A failing ``__repr__`` gives ``<broken repr of type 'X'>``; a cut result ends in "...".
    The result is always encodable as UTF-8 (lone surrogates are escaped).
    """
    try:
        limit = max(int(max_length), 0)
        try:
            text = _bounded_repr(value, limit, 0, set())
        except Exception:
            text = broken_repr_placeholder(value)
        return _json_string(text, limit)
    except Exception:
        return "<broken repr>"


def safe_str(value: object, max_length: int = 1024) -> str:
    """``str(value)`` cut to ``max_length``, UTF-8 safe; falls back to :func:`safe_repr`."""
    try:
        text = str(value)
        if not isinstance(text, str):
            raise TypeError("__str__ returned a non-string")
        return _json_string(text, max(int(max_length), 0))
    except Exception:
        return safe_repr(value, max_length)


def _json_string(text: str, max_string: int) -> str:
    """Cut ``text`` and make it encodable as UTF-8 (lone surrogates are escaped)."""
    text = truncate(str.__getitem__(text, slice(0, max_string + 1)), max_string)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class _Converter:
    """The state of one :func:`to_json_safe` call (never shared between calls)."""

    def __init__(
        self,
        max_depth: int,
        max_breadth: int,
        max_string: int,
        max_nodes: int,
        repr_leaves: bool,
        custom_repr: Callable[[Any], object] | None = None,
    ) -> None:
        self.max_depth = min(max(max_depth, 0), _MAX_DEPTH_CAP)
        self.max_breadth = max(max_breadth, 0)
        self.max_string = max(max_string, 0)
        self.nodes_left = max(max_nodes, 1)
        self.repr_leaves = repr_leaves
        self.custom_repr = custom_repr
        self.active: set[int] = set()  # ids of the containers being converted (cycles)

    def repr(self, value: object) -> str:
        if self.custom_repr is not None:
            try:
                custom = self.custom_repr(value)
                if isinstance(custom, str) and custom:
                    return _json_string(custom, self.max_string)
            except Exception:
                pass  # sentry_sdk's rule: a failing custom repr falls back to repr()
        return safe_repr(value, self.max_string)

    def convert(self, value: object, depth: int) -> JSONValue:
        self.nodes_left -= 1
        try:
            if self.repr_leaves:
                if _is_structure(value, rich=False):
                    return self._structure(value, depth)
                return self.repr(value)
            leaf = self._leaf(value)
            if leaf is not _NOT_A_LEAF:
                return leaf  # type: ignore[return-value]
            if _is_structure(value, rich=True):
                return self._structure(value, depth)
            return self.repr(value)
        except Exception:
            return self.repr(value)

    def _leaf(self, value: object) -> object:
        """The JSON form of a scalar, or ``_NOT_A_LEAF``."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, enum.Enum):
            return self.repr(value)
        if isinstance(value, str):
            return _json_string(value, self.max_string)
        if isinstance(value, int):
            number = int.__int__(value)
            return number if _INT_MIN <= number <= _INT_MAX else self.repr(number)
        if isinstance(value, float):
            number_f = float.__float__(value)
            return number_f if math.isfinite(number_f) else repr(number_f)
        if isinstance(value, (bytes, bytearray, memoryview)):
            try:
                raw = bytes(value[: self.max_string * 4])
            except Exception:  # a multi-dimensional memoryview cannot be sliced
                return self.repr(value)
            return _json_string(raw.decode("utf-8", "backslashreplace"), self.max_string)
        if isinstance(value, (datetime.date, datetime.time)):
            return _json_string(value.isoformat(), self.max_string)
        if isinstance(value, (datetime.timedelta, Decimal, UUID, PurePath)):
            return _json_string(str(value), self.max_string)
        return _NOT_A_LEAF

    def _structure(self, value: object, depth: int) -> JSONValue:
        if id(value) in self.active:
            return CYCLE_MARKER
        if depth >= self.max_depth:
            return self.repr(value)
        self.active.add(id(value))
        try:
            if isinstance(value, Mapping):
                return self._mapping(value.items(), _size(value), depth)
            if dataclasses.is_dataclass(value):
                names = [field.name for field in dataclasses.fields(value)]
                return self._mapping(_attribute_items(value, names), len(names), depth)
            if isinstance(value, tuple) and _is_namedtuple(value):
                names = list(type(value)._fields)  # type: ignore[attr-defined]
                return self._mapping(zip(names, value, strict=False), len(names), depth)
            return self._sequence(value, depth)  # type: ignore[arg-type]
        finally:
            self.active.discard(id(value))

    def _snapshot(self, items: Iterable[_T]) -> tuple[list[_T], bool]:
        """The first entries to keep, and whether there were more.

        Copying first (in C, under the GIL) avoids "changed size during iteration"
        when another thread mutates the container while it is converted.
        """
        kept = list(islice(items, self.max_breadth + 1))
        more = len(kept) > self.max_breadth
        return kept[: self.max_breadth], more

    def _marker(self, total: int | None, kept: int) -> str:
        if total is None or total <= kept:  # unknown, or a __len__ that lies
            return "<more items>"
        return f"<{total - kept} more items>"

    def _mapping(
        self, items: Iterable[tuple[object, object]], total: int | None, depth: int
    ) -> JSONValue:
        entries, more = self._snapshot(items)
        result: dict[str, JSONValue] = {}
        for key, inner in entries:
            if self.nodes_left <= 0:
                more = True
                break
            result[self._key(key, result)] = self.convert(inner, depth + 1)
        if more:
            result[TRUNCATION_KEY] = self._marker(total, len(result))
        return result

    def _sequence(self, value: Iterable[object], depth: int) -> JSONValue:
        entries, more = self._snapshot(value)
        result: list[JSONValue] = []
        for inner in entries:
            if self.nodes_left <= 0:
                more = True
                break
            result.append(self.convert(inner, depth + 1))
        if more:
            result.append(self._marker(_size(value), len(result)))
        return result

    def _key(self, key: object, taken: Mapping[str, object]) -> str:
        text = _json_string(
            key if isinstance(key, str) else safe_str(key, self.max_string), self.max_string
        )
        if text in taken and not isinstance(key, str):
            text = self.repr(key)
        base, suffix = text, 2
        while text in taken:  # two keys with the same text (1 and "1"): keep both
            text = f"{base} ({suffix})"
            suffix += 1
        return text


_NOT_A_LEAF: Final = object()


def _is_structure(value: object, *, rich: bool) -> bool:
    """Whether ``value`` is converted entry by entry.

    ``rich`` adds dataclass instances and named tuples (as objects); without it they
    are shown by their ``repr``, which already names their fields.
    """
    if isinstance(value, (str, bytes, bytearray)):
        return False
    if isinstance(value, tuple) and _is_namedtuple(value):
        return rich
    if isinstance(value, (Mapping, *_SEQUENCE_TYPES)):
        return True
    return rich and dataclasses.is_dataclass(value) and not isinstance(value, type)


def _is_namedtuple(value: tuple[object, ...]) -> bool:
    fields = getattr(type(value), "_fields", None)
    return isinstance(fields, tuple) and all(isinstance(name, str) for name in fields)


def _size(value: object) -> int | None:
    try:
        size = len(value)  # type: ignore[arg-type]
        return size if isinstance(size, int) else None
    except Exception:
        return None


def _attribute_items(value: object, names: list[str]) -> Iterable[tuple[object, object]]:
    for name in names:
        try:
            yield name, getattr(value, name)
        except Exception:
            yield name, "<unreadable attribute>"


def to_json_safe(
    value: object,
    *,
    max_depth: int = 5,
    max_breadth: int = 50,
    max_string: int = 1024,
    max_nodes: int = 1000,
    repr_leaves: bool = False,
    custom_repr: Callable[[Any], object] | None = None,
) -> JSONValue:
    """Convert any value into JSON-compatible data, bounded; never raises.

    - mappings (any key type; keys become strings), dataclasses and named tuples become
      objects; lists, tuples, sets, deques, arrays and dict views become arrays;
    - strings are cut to ``max_string`` characters, bytes decoded as UTF-8;
      datetimes, dates and times become ISO 8601, Decimal/UUID/paths/timedeltas strings;
      NaN and infinities become "nan"/"inf"/"-inf"; integers beyond 64 bits strings;
    - anything else, and containers deeper than ``max_depth``, become ``safe_repr``;
    - at most ``max_breadth`` entries per container and ``max_nodes`` values in total;
      a cut container gets one marker entry ("<N more items>", under the key "..." in
      objects); a container met again inside itself becomes "<cyclic>".

    ``repr_leaves=True`` renders every non-container as its Python ``repr`` (``'abc'``,
    ``None``), which is how Sentry shows frame local variables. ``custom_repr(value)``,
    when given, replaces ``repr`` wherever it returns a non-empty string (the option of
    the same name).
    """
    try:
        converter = _Converter(
            max_depth, max_breadth, max_string, max_nodes, repr_leaves, custom_repr
        )
        return converter.convert(value, 0)
    except Exception:
        return broken_repr_placeholder(value)
