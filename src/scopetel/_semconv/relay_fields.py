"""What Relay accepts in the fields users fill: tags, measurements, origins, levels, ids.

sentry_sdk forwards these as given, and Relay then drops the value and records an
error on the event (an invalid tag key, ``origin="b'auto'"``, a measurement named
``"time-to-x"``, a non-hex ``event_id``). scopetel normalizes them first: characters
Relay refuses become ``_``, values it cannot use are left out. Every function takes a
``str`` (already coerced at the API boundary) and never raises.
"""

import re
from functools import lru_cache
from typing import Final

MAX_TAG_LENGTH: Final = 200  # Relay's limit for tag keys and values

LEVELS: Final = frozenset({"fatal", "error", "warning", "info", "debug"})
_LEVEL_ALIASES: Final = {"warn": "warning", "critical": "fatal", "exception": "error"}

_NOT_TAG_KEY: Final = re.compile(r"[^A-Za-z0-9_.:\- ]")
_NOT_MEASUREMENT: Final = re.compile(r"[^A-Za-z0-9_.]")
_UNIT: Final = re.compile(r"[A-Za-z0-9_]{1,15}")  # known units and custom ones alike
_NOT_ORIGIN: Final = re.compile(r"[^A-Za-z0-9_.]")
_HEX: Final = frozenset("0123456789abcdef")


def tag_key(key: str) -> str | None:
    """A tag key Relay keeps: letters, digits, ``_.:-`` and spaces; None when empty."""
    key = _NOT_TAG_KEY.sub("_", key.strip())[:MAX_TAG_LENGTH].strip()
    return key or None


def tag_value(value: str) -> str | None:
    """A tag value Relay keeps: one line, at most 200 characters; None when blank."""
    if "\n" in value:
        value = value.replace("\r\n", " ").replace("\n", " ")
    value = value.strip()
    return value[:MAX_TAG_LENGTH] or None


def measurement_name(name: str) -> str | None:
    """A measurement name Relay keeps (a letter, then letters, digits, ``_`` and ``.``)."""
    name = _NOT_MEASUREMENT.sub("_", name.strip())
    return name if name[:1].isascii() and name[:1].isalpha() else None


def measurement_unit(unit: str) -> str | None:
    """The unit if Relay accepts it (a known unit, or a custom one of 1-15 ``\\w``)."""
    return unit if _UNIT.fullmatch(unit) else None


@lru_cache(maxsize=256)  # a process uses a handful of origins, on every span
def origin(value: str) -> str:
    """A span origin Relay keeps: letters, digits, ``_`` and ``.`` (``auto.http.django``)."""
    return _NOT_ORIGIN.sub("_", value)


def level(value: str) -> str | None:
    """A level Relay accepts (``warn`` is ``warning``, any case); None for another word."""
    if value in LEVELS:
        return value
    lowered = value.strip().lower()
    lowered = _LEVEL_ALIASES.get(lowered, lowered)
    return lowered if lowered in LEVELS else None


def event_id(value: str) -> str | None:
    """32 lowercase hex digits (a UUID with dashes or in capitals is accepted); None if not."""
    text = value.strip().replace("-", "").lower()
    if len(text) == 32 and _HEX.issuperset(text):
        return text
    return None
