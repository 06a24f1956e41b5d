"""Checks of option values: each validates and normalises one value, raising
``TypeError``/``ValueError`` with a message that starts with the option's name."""

import math
from collections.abc import Callable
from typing import Any, cast

from scopetel_exporter_sentry.dsn import Dsn

Check = Callable[[str, Any], Any]


def str_or_none(name: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return (value or "").strip() or None  # a secret mounted from a file ends in "\n"
    raise TypeError(f"{name} must be a string or None, not {type(value).__name__}")


def dsn(name: str, value: Any) -> str | None:
    text = str_or_none(name, value)
    if text is not None:
        Dsn.parse(text)  # raises InvalidDsn (a ValueError) saying what is wrong
    return text


def boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"{name} must be true or false, got {value!r}")
    raise TypeError(f"{name} must be a bool, not {type(value).__name__}")


def rate(name: str, value: Any) -> float:
    result = number(name, value)
    if not 0.0 <= result <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
    return result


def rate_or_none(name: str, value: Any) -> float | None:
    return None if value is None or value == "" else rate(name, value)


def number(name: str, value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:  # an int beyond a float (10**400)
        raise ValueError(f"{name} must be a finite number, got an integer too large") from None
    if math.isnan(result) or math.isinf(result):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return result


def positive(name: str, value: Any) -> float:
    result = number(name, value)
    if result <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return result


def count(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> int:
        result = number(name, value)
        if result != int(result) or not low <= result <= high:
            raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
        return int(result)

    return check


def count_or_highest(low: int, high: int) -> Check:
    """:func:`count`, with None meaning ``high`` (sentry_sdk's None: no limit)."""
    bounded = count(low, high)

    def check(name: str, value: Any) -> int:
        return high if value is None else bounded(name, value)

    return check


def callable_or_none(name: str, value: Any) -> Callable[..., Any] | None:
    if value is None or callable(value):
        return cast(Callable[..., Any] | None, value)
    raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")


def strings(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise TypeError(f"{name} must be a list of strings")


def error_types(name: str, value: Any) -> tuple[type[BaseException] | str, ...]:
    if value is None:
        return ()
    items = strings(name, value) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"{name} must be a list of exception classes or names")
    for item in items:
        valid_class = isinstance(item, type) and issubclass(item, BaseException)
        if not (valid_class or isinstance(item, str)):
            raise TypeError(f"{name} must contain exception classes or names, got {item!r}")
    return tuple(items)


def transport(name: str, value: Any) -> Any:
    """A transport object, a transport class, or a function (``scopetel.transport``)."""
    if value is None or callable(value) or callable(getattr(value, "capture_envelope", None)):
        return value
    raise TypeError(f"{name} must have a capture_envelope(envelope) method, or be callable")


def choice(*choices: str) -> Check:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def or_none(check: Check) -> Check:
    """``check``, with None also accepted (left unset)."""

    def optional(name: str, value: Any) -> Any:
        return None if value is None else check(name, value)

    return optional


def anything(name: str, value: Any) -> Any:
    return value


def anything_sequence(name: str, value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    raise TypeError(f"{name} must be a list")


def boolean_or_none(name: str, value: Any) -> bool | None:
    return None if value is None else boolean(name, value)


def boolean_or_url(name: str, value: Any) -> bool | str | None:
    """Spotlight: on/off, or the sidecar's URL."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("http://", "https://")):
            return text
        return boolean(name, text)
    raise TypeError(f"{name} must be a bool or a URL, not {type(value).__name__}")


def integrations(name: str, value: Any) -> tuple[Any, ...]:
    """Integration instances (anything with an ``identifier`` and ``setup_once``)."""
    items = anything_sequence(name, value)
    for item in items:
        if isinstance(item, type) or not hasattr(item, "setup_once"):
            raise TypeError(f"{name} must contain integration instances, got {item!r}")
    return items


def integration_names(name: str, value: Any) -> tuple[str, ...]:
    """Identifiers, from names (comma-separated in a variable), integration classes or
    integration instances (anything with a string ``identifier``)."""
    if value is None or isinstance(value, str):
        return strings(name, value)
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise TypeError(f"{name} must be a list of integrations or their names")
    names: list[str] = []
    for item in value:
        identifier = item if isinstance(item, str) else getattr(item, "identifier", None)
        if not isinstance(identifier, str):
            raise TypeError(f"{name} must contain integrations or names, got {item!r}")
        names.append(identifier.strip())
    return tuple(names)


def status_codes(name: str, value: Any) -> frozenset[int]:
    if value is None:
        return frozenset()
    try:
        codes = frozenset(value)
    except TypeError:
        raise TypeError(f"{name} must be a set of HTTP status codes") from None
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
        raise TypeError(f"{name} must contain integers")
    return codes
