"""Fixtures for the error-event building blocks (frames, exceptions, serialization)."""

import json
import time
import uuid
from typing import Any

from tests.support.relay import assert_valid_event


def error_event(values: list[dict[str, Any]]) -> dict[str, Any]:
    """A complete error event around ``exception.values``, as the event builder makes it."""
    return {
        "event_id": uuid.uuid4().hex,
        "level": "error",
        "platform": "python",
        "timestamp": time.time(),
        "exception": {"values": values},
    }


def assert_valid_exceptions(values: list[dict[str, Any]]) -> dict[str, Any]:
    """Wrap ``values`` into an event and check it with Relay's normalizer.

    Also checks that the event is strict JSON (no NaN) and encodable as UTF-8, as the
    transport will need.
    """
    event = error_event(values)
    json.dumps(event, allow_nan=False, ensure_ascii=False).encode("utf-8")
    return assert_valid_event(event)


def qualified(frame: dict[str, object]) -> object:
    """A frame's qualified name: ``raw_function`` when it says more than ``function``."""
    return frame.get("raw_function", frame["function"])
