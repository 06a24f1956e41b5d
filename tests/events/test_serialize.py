import collections
import dataclasses
import datetime
import decimal
import enum
import json
import math
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath

import pytest

from scopetel._serialize import (
    CYCLE_MARKER,
    TRUNCATION_KEY,
    JSONValue,
    safe_repr,
    safe_str,
    to_json_safe,
)
from tests.support.hostile import Hostile, HostileDict, HostileList, deep_dict, deep_list


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


class BrokenStr:
    def __str__(self) -> str:
        raise RuntimeError("str exploded")

    def __repr__(self) -> str:
        return "BrokenStr()"


class NonStringRepr:
    def __repr__(self) -> str:
        return 42  # type: ignore[return-value]


class ExplodingMapping(Mapping[str, int]):
    def __getitem__(self, key: str) -> int:
        raise RuntimeError("no")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("cannot iterate")

    def __len__(self) -> int:
        raise RuntimeError("no length")

    def __repr__(self) -> str:
        return "ExplodingMapping()"


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Point:
    x: int
    y: object


Pair = collections.namedtuple("Pair", "left right")


def _dumps(value: JSONValue) -> str:
    return json.dumps(value, allow_nan=False)


# safe_repr


@pytest.mark.parametrize(
    "value",
    [
        1,
        "text",
        b"bytes",
        bytearray(b"ba"),
        [1, "a", None],
        (1,),
        (1, 2),
        (),
        {"a": [1, {2}], 3: (4,)},
        {1, 2},
        frozenset({"x"}),
        frozenset(),
        set(),
        [],
        {},
        Point(1, "y"),
    ],
)
def test_safe_repr_matches_repr_for_small_values(value: object) -> None:
    assert safe_repr(value) == repr(value)


def test_safe_repr_of_broken_repr_is_a_placeholder() -> None:
    assert safe_repr(BrokenRepr()) == "<broken repr of type 'BrokenRepr'>"
    assert safe_repr(NonStringRepr()) == "<broken repr of type 'NonStringRepr'>"
    assert safe_repr([1, BrokenRepr()]) == "<broken repr of type 'list'>"


def test_safe_repr_truncates_with_ellipsis() -> None:
    result = safe_repr("x" * 5000, max_length=20)
    assert result == "'" + "x" * 16 + "..."
    assert len(result) == 20
    assert safe_repr("abc", max_length=2) == "'a"
    assert safe_repr("abc", max_length=0) == ""


def test_safe_repr_of_huge_container_is_bounded_and_fast() -> None:
    huge = list(range(2_000_000))
    started = time.perf_counter()
    result = safe_repr(huge, max_length=50)
    assert time.perf_counter() - started < 0.5
    assert result.startswith("[0, 1, 2, 3")
    assert result.endswith("...")
    assert len(result) == 50


def test_safe_repr_of_self_referencing_containers() -> None:
    items: list[object] = [1]
    items.append(items)
    assert safe_repr(items) == "[1, [...]]"
    mapping: dict[str, object] = {}
    mapping["me"] = mapping
    assert safe_repr(mapping) == "{'me': {...}}"


def test_safe_repr_of_deep_nesting_does_not_raise() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert safe_repr(deep, max_length=30).startswith("[[[[")


class ShoutingStr(str):
    def __getitem__(self, index: object) -> str:  # type: ignore[override]
        raise RuntimeError("no slicing")


def test_safe_str_and_strings_are_utf8_safe() -> None:
    assert safe_str("caf\udce9") == "caf\\udce9"
    assert to_json_safe(ShoutingStr("abc")) == "abc"
    assert safe_str(ShoutingStr("abcdef"), max_length=5) == "ab..."


def test_safe_str_falls_back_to_repr() -> None:
    assert safe_str(BrokenStr()) == "BrokenStr()"
    assert safe_str("plain") == "plain"
    assert safe_str(12345, max_length=4) == "1..."


# to_json_safe: scalars


def test_scalars_pass_through() -> None:
    assert to_json_safe(None) is None
    assert to_json_safe(True) is True
    assert to_json_safe(7) == 7
    assert to_json_safe(2.5) == 2.5
    assert to_json_safe("s") == "s"


def test_non_finite_floats_and_big_ints_become_strings() -> None:
    assert to_json_safe(math.nan) == "nan"
    assert to_json_safe(math.inf) == "inf"
    assert to_json_safe(-math.inf) == "-inf"
    assert to_json_safe(2**64 - 1) == 2**64 - 1
    assert to_json_safe(2**70) == str(2**70)
    assert to_json_safe(10**5000).startswith("<broken repr of type 'int'>")  # type: ignore[union-attr]


def test_special_types() -> None:
    value = {
        "datetime": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC),
        "date": datetime.date(2024, 5, 6),
        "time": datetime.time(7, 8),
        "delta": datetime.timedelta(seconds=90),
        "decimal": decimal.Decimal("1.10"),
        "uuid": uuid.UUID(int=1),
        "path": PurePosixPath("/a/b"),
        "bytes": b"caf\xc3\xa9 \xff",
        "enum": Color.RED,
        "dataclass": Point(1, [2]),
        "namedtuple": Pair(1, 2),
        "tuple": (1, 2),
        "set": {3},
        "deque": collections.deque([4, 5]),
    }
    assert to_json_safe(value) == {
        "datetime": "2024-05-06T07:08:09+00:00",
        "date": "2024-05-06",
        "time": "07:08:00",
        "delta": "0:01:30",
        "decimal": "1.10",
        "uuid": "00000000-0000-0000-0000-000000000001",
        "path": "/a/b",
        "bytes": "café \\xff",
        "enum": "<Color.RED: 1>",
        "dataclass": {"x": 1, "y": [2]},
        "namedtuple": {"left": 1, "right": 2},
        "tuple": [1, 2],
        "set": [3],
        "deque": [4, 5],
    }


def test_objects_become_their_repr() -> None:
    assert to_json_safe(BrokenRepr()) == "<broken repr of type 'BrokenRepr'>"
    assert to_json_safe(object) == "<class 'object'>"
    generator = (n for n in range(3))
    assert to_json_safe(generator).startswith("<generator object")  # type: ignore[union-attr]
    assert list(generator) == [0, 1, 2]  # not consumed


def test_non_string_keys_become_strings_and_collisions_keep_both() -> None:
    result = to_json_safe({"1": "text", 1: "int", (1, 2): "tuple", None: "none"})
    assert result == {"1": "text", "1 (2)": "int", "(1, 2)": "tuple", "None": "none"}


def test_strings_are_cut() -> None:
    assert to_json_safe("y" * 100, max_string=10) == "yyyyyyy..."
    assert to_json_safe({"k" * 100: 1}, max_string=5) == {"kk...": 1}


def test_lone_surrogates_are_escaped() -> None:
    result = to_json_safe("a\udcffb")
    assert result == "a\\udcffb"
    assert isinstance(result, str)
    result.encode("utf-8")


# to_json_safe: bounds


def test_cycles_are_marked() -> None:
    items: list[object] = [1]
    items.append(items)
    mapping: dict[str, object] = {"n": 1}
    mapping["self"] = mapping
    assert to_json_safe(items) == [1, CYCLE_MARKER]
    assert to_json_safe(mapping) == {"n": 1, "self": CYCLE_MARKER}


def test_shared_references_are_not_cycles() -> None:
    shared = [1]
    assert to_json_safe({"a": shared, "b": shared}) == {"a": [1], "b": [1]}


def test_depth_is_bounded() -> None:
    nested: object = "leaf"
    for _ in range(10):
        nested = [nested]
    result = to_json_safe(nested, max_depth=3)
    assert result == [[["[[[[[[['leaf']]]]]]]"]]]


def test_breadth_is_bounded_with_a_marker() -> None:
    assert to_json_safe(list(range(10)), max_breadth=3) == [0, 1, 2, "<7 more items>"]
    assert to_json_safe({n: n for n in range(5)}, max_breadth=2) == {
        "0": 0,
        "1": 1,
        TRUNCATION_KEY: "<3 more items>",
    }


def test_total_size_is_bounded() -> None:
    wide = [[n] * 50 for n in range(50)]
    result = to_json_safe(wide, max_nodes=30)
    assert isinstance(result, list)
    flat = _dumps(result)
    assert flat.count("more items") >= 1
    leaves = sum(len(inner) for inner in result if isinstance(inner, list))
    assert leaves < 40


def test_huge_values_are_bounded_and_fast() -> None:
    huge = {
        "list": list(range(1_000_000)),
        "text": "z" * 10_000_000,
        "set": set(range(100_000)),
    }
    started = time.perf_counter()
    result = to_json_safe(huge, max_breadth=10, max_string=100)
    assert time.perf_counter() - started < 1.0
    assert isinstance(result, dict)
    assert result["list"] == [*range(10), "<999990 more items>"]
    assert result["text"] == "z" * 97 + "..."
    assert len(_dumps(result)) < 2000


def test_failures_inside_containers_are_contained() -> None:
    result = to_json_safe({"ok": 1, "bad": ExplodingMapping(), "broken": [BrokenRepr()]})
    assert result == {
        "ok": 1,
        "bad": "ExplodingMapping()",
        "broken": ["<broken repr of type 'BrokenRepr'>"],
    }


def test_repr_leaves_shows_python_reprs() -> None:
    value = {"s": "x", "n": None, "i": 1, "l": ["a", 2.5], "p": Point(1, 2), "t": Pair(1, 2)}
    assert to_json_safe(value, repr_leaves=True) == {
        "s": "'x'",
        "n": "None",
        "i": "1",
        "l": ["'a'", "2.5"],
        "p": "Point(x=1, y=2)",
        "t": "Pair(left=1, right=2)",
    }


def test_everything_is_json_encodable() -> None:
    zoo: list[object] = [
        math.nan,
        b"\x00\xff",
        BrokenRepr(),
        NonStringRepr(),
        ExplodingMapping(),
        {frozenset({1}): {1.5: complex(1, 2)}},
        Color.RED,
        datetime.datetime.now(),
        decimal.Decimal("NaN"),
        memoryview(b"abc"),
        memoryview(bytes(8)).cast("B", (2, 4)),
        10**30,
        "\udc80",
    ]
    for repr_leaves in (False, True):
        result = to_json_safe(zoo, repr_leaves=repr_leaves)
        assert isinstance(result, list)
        assert len(result) == len(zoo)
        _dumps(result)


def test_hostile_containers_and_recursion_past_the_limit_are_contained() -> None:
    value = {
        "dict": HostileDict({"a": 1}),
        "list": HostileList([1, 2]),
        "object": Hostile(),
        "deep list": deep_list(100_000),
        "deep dict": deep_dict(100_000),
        Hostile(frozenset({"str", "repr"})): "a key whose text fails",
    }
    result = to_json_safe(value)
    json.dumps(result)  # plain JSON, bounded
    assert isinstance(result, dict) and len(result) == 6
    assert result["dict"] == "{'a': 1}" and result["list"] == "[1, 2]"
