"""Sentry logs: severities, the entry a batch holds, and its wire form.

A waiting log is the dict sentry_sdk hands ``before_send_log`` (``severity_text``,
``severity_number``, ``body``, ``attributes``, ``time_unix_nano``, ``trace_id``,
``span_id``). The attributes every log shares (SDK, runtime, host, environment,
release) are added when the batch is encoded, unless a hook already saw them.
"""

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from scopetel._signals import wire
from scopetel._signals.attributes import text_value
from scopetel._signals.batcher import Encode, Kind

LOG: Final = Kind(
    item_type="log",
    content_type="application/vnd.sentry.items.log+json",
    category="log_item",
    byte_category="log_byte",
    flush_at=100,
    drop_at=1_000,
)

# OpenTelemetry severity numbers (1-24) by Sentry level, as sentry_sdk.logger uses them
SEVERITY_NUMBERS: Final = {"trace": 1, "debug": 5, "info": 9, "warn": 13, "error": 17, "fatal": 21}
_BY_RANGE: Final = ("trace", "debug", "info", "warn", "error", "fatal")
_BY_TEXT: Final = {
    "trace": "trace",
    "debug": "debug",
    "info": "info",
    "notice": "info",
    "warn": "warn",
    "warning": "warn",
    "error": "error",
    "critical": "fatal",
    "fatal": "fatal",
}


def level_of(number: int, text: object = None) -> str:
    """The Sentry level of an OpenTelemetry severity: by its number's range (1-4 trace …
    21-24 fatal), else by its text, else ``info``."""
    if 1 <= number <= 24:
        return _BY_RANGE[(number - 1) // 4]
    if isinstance(text, str):
        return _BY_TEXT.get(text.strip().lower(), "info")
    return "info"


def severity_of_level(levelno: int) -> tuple[int, str]:
    """The severity (number, Sentry level) sentry_sdk gives a ``logging`` level."""
    for lowest, number, level in _PYTHON_LEVELS:
        if levelno >= lowest:
            return number, level
    return 1, "trace"


_PYTHON_LEVELS: Final = (
    (50, 21, "fatal"),
    (40, 17, "error"),
    (30, 13, "warn"),
    (20, 9, "info"),
    (10, 5, "debug"),
)


@dataclass(slots=True)
class PendingLog:
    """A log waiting in a batch; ``shared`` False once a hook saw the shared attributes."""

    log: dict[str, Any]
    shared: bool = True


def encoder(shared: Mapping[str, object]) -> Encode[PendingLog]:
    """Encodes a waiting log as JSON text; ``shared`` are the attributes every log
    carries (encoded once, here)."""
    names, shared_json = wire.fragment(shared)

    def encode(pending: PendingLog) -> str:
        log = pending.log
        number = log.get("severity_number")
        number = number if type(number) is int else 0
        level = level_of(number, log.get("severity_text"))
        attributes = log.get("attributes")
        own: Mapping[Any, object] = attributes if isinstance(attributes, Mapping) else {}
        parts = wire.members(own.items())
        if pending.shared:
            if names.isdisjoint(own):
                parts.append(shared_json)
            else:
                parts += wire.members((k, v) for k, v in shared.items() if k not in own)
        if "sentry.severity_number" not in own:
            parts.append('"sentry.severity_number":' + wire.value(number))
        if "sentry.severity_text" not in own:
            parts.append('"sentry.severity_text":' + wire.value(level))
        text = (
            '{"timestamp":'
            + float.__repr__(_seconds(log.get("time_unix_nano")))
            + ',"level":"'
            + level
            + '","body":'
            + wire.string(text_value(log.get("body")))
            + ',"attributes":{'
            + ",".join(parts)
            + "}"
        )
        return text + wire.ids(log) + "}"

    return encode


def _seconds(nanoseconds: object) -> float:
    if type(nanoseconds) is int or (type(nanoseconds) is float and math.isfinite(nanoseconds)):
        return nanoseconds / 1e9
    return time.time()  # a hook replaced the time with something else
