"""Values a hostile (or just unlucky) application hands to the API.

ORM instances whose ``__repr__`` needs a closed session, proxies whose ``__bool__``
raises, dict subclasses that fail to iterate, structures nested past the recursion
limit or containing themselves. Each class also has a ``_repr_pretty_`` that never
raises, so that a failing hypothesis example can still be printed.
"""

from typing import Any, NoReturn

DUNDERS = ("str", "repr", "eq", "hash", "iter", "len", "bool", "format")


class HostileError(RuntimeError):
    """What the hostile methods raise."""


def _fail(what: str) -> NoReturn:
    raise HostileError(f"hostile {what}")


class Hostile:
    """An object whose chosen dunder methods (names in ``DUNDERS``) raise."""

    def __init__(self, broken: frozenset[str] = frozenset(DUNDERS)) -> None:
        self.broken = broken

    def _check(self, what: str) -> None:
        if what in self.broken:
            _fail(what)

    def __str__(self) -> str:
        self._check("str")
        return "hostile"

    def __repr__(self) -> str:
        self._check("repr")
        return "Hostile()"

    def __eq__(self, other: object) -> bool:
        self._check("eq")
        return self is other

    def __hash__(self) -> int:
        self._check("hash")
        return 7

    def __iter__(self) -> Any:
        self._check("iter")
        return iter(())

    def __len__(self) -> int:
        self._check("len")
        return 0

    def __bool__(self) -> bool:
        self._check("bool")
        return True

    def __format__(self, spec: str) -> str:
        self._check("format")
        return "hostile"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"Hostile({sorted(self.broken)})")


class HostileStr(str):
    """A string whose own methods raise (``str()``, hashing, comparing)."""

    def __str__(self) -> str:
        _fail("str")

    def __hash__(self) -> int:
        _fail("hash")

    def __eq__(self, other: object) -> bool:
        _fail("eq")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"HostileStr({str.__repr__(self)})")


class HostileDict(dict[Any, Any]):
    """A dict whose iteration raises (``items``, ``keys``, ``__iter__``, ``len``)."""

    def items(self) -> Any:
        _fail("items")

    def keys(self) -> Any:
        _fail("keys")

    def values(self) -> Any:
        _fail("values")

    def __iter__(self) -> Any:
        _fail("iter")

    def __len__(self) -> int:
        _fail("len")

    def __getitem__(self, key: Any) -> Any:
        _fail("getitem")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"HostileDict({dict.__len__(self)} entries)")


class HostileList(list[Any]):
    """A list whose iteration raises."""

    def __iter__(self) -> Any:
        _fail("iter")

    def __len__(self) -> int:
        _fail("len")

    def __getitem__(self, index: Any) -> Any:
        _fail("getitem")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"HostileList({list.__len__(self)} items)")


def deep_list(depth: int) -> list[Any]:
    """``[[[...["bottom"]...]]]``, ``depth`` levels."""
    value: list[Any] = ["bottom"]
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int) -> dict[str, Any]:
    """``{"d": {"d": ... {"d": "bottom"}}}``, ``depth`` levels."""
    value: dict[str, Any] = {"d": "bottom"}
    for _ in range(depth):
        value = {"d": value}
    return value


def cyclic() -> dict[str, Any]:
    """A dict that contains itself, through a list too."""
    value: dict[str, Any] = {"name": "loop"}
    value["self"] = value
    value["list"] = [value, {"back": value}]
    return value
