"""A dict passed to ``capture_event``, made into an event scopetel can process.

The application's dict may hold anything anywhere. Its copy is JSON-safe (bounded,
never the application's objects), keys Relay does not know move to ``extra``, and the
containers the pipeline walks have their shapes (``exception.values`` a list of dicts,
``breadcrumbs.values`` a list of breadcrumbs …); what cannot be used is left out with
one debug line.
"""

from collections.abc import Mapping
from typing import Any, Final

from scopetel._coerce import dropped, pairs, seconds_since_epoch, text
from scopetel._context.scope import Event
from scopetel._events.relay_shape import breadcrumb_values
from scopetel._serialize import to_json_safe

# Top-level keys of Relay's event schema; other keys of a captured dict go to ``extra``.
EVENT_KEYS: Final = frozenset(
    {
        "event_id", "level", "type", "fingerprint", "culprit", "transaction",
        "transaction_info", "logentry", "message", "logger", "modules", "platform",
        "timestamp", "start_timestamp", "server_name", "release", "dist", "environment",
        "user", "request", "contexts", "breadcrumbs", "exception", "stacktrace", "threads",
        "tags", "extra", "debug_meta", "sdk", "spans", "measurements",
    }
)  # fmt: skip
_OBJECTS: Final = ("contexts", "tags", "request", "sdk", "debug_meta", "measurements")
_MAX_STORED: Final = 1_000_000  # generous: events apply max_value_length when sent
_HEX: Final = frozenset("0123456789abcdef")


def user_event(event: Mapping[Any, object]) -> Event:
    """A JSON-safe copy of ``event`` in the shape the pipeline and Relay expect."""
    result: dict[str, object] = {}
    extra: dict[str, object] = {}
    for key, value in pairs(event, "capture_event"):
        name = text(key, "event key")
        if name == "timestamp":  # a datetime must stay a time, not become text
            value = seconds_since_epoch(value, "event timestamp", naive_utc=True)
            if value is None:
                continue
        if name in EVENT_KEYS:
            result[name] = value
        else:
            dropped("capture_event", name, "is not an event field; moved to extra:")
            extra[name] = value
    converted = to_json_safe(
        result, max_depth=20, max_breadth=10_000, max_string=_MAX_STORED, max_nodes=200_000
    )
    safe: Event = converted if isinstance(converted, dict) else {}
    _shape(safe, to_json_safe(extra, max_string=_MAX_STORED) if extra else None)
    return safe


def _shape(event: Event, moved: object) -> None:
    """Containers the pipeline walks get their shapes; the others are left out."""
    for key in _OBJECTS:
        if key in event and not isinstance(event[key], dict):
            dropped("capture_event", key, "needs a dict; left out:")
            del event[key]
    own = event.get("extra")
    if own is None:
        own = {}
    elif not isinstance(own, dict):
        own = {"value": own}
    if isinstance(moved, dict):
        own = {**own, **moved}
    if own or "extra" in event:
        event["extra"] = own
    user = event.get("user")
    if user is not None and not isinstance(user, dict):
        dropped("capture_event", user, "is not a dict; user left out:")
        del event["user"]
    if "breadcrumbs" in event:
        event["breadcrumbs"] = {"values": breadcrumb_values(event["breadcrumbs"], _MAX_STORED)}
    for key in ("exception", "threads"):
        if key in event and not _valid_values(event[key]):
            dropped("capture_event", key, "is not {'values': [...]} of dicts; left out:")
            del event[key]
    trace = event.get("contexts", {}).get("trace")
    if trace is not None and not _valid_trace_context(trace):
        dropped("capture_event", trace, "is not a valid trace context; ignored:")
        del event["contexts"]["trace"]


def _valid_values(value: object) -> bool:
    """``{"values": [{..., "stacktrace": {"frames": [{...}]}}]}`` (as Sentry sends)."""
    if not isinstance(value, dict) or not isinstance(value.get("values"), list):
        return False
    for entry in value["values"]:
        if not isinstance(entry, dict):
            return False
        stacktrace = entry.get("stacktrace")
        if stacktrace is None:
            continue
        if not isinstance(stacktrace, dict):
            return False
        frames = stacktrace.get("frames")
        if frames is not None and not (
            isinstance(frames, list) and all(isinstance(frame, dict) for frame in frames)
        ):
            return False
    return True


def _valid_trace_context(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    return _is_hex(value.get("trace_id"), 32) and _is_hex(value.get("span_id"), 16)


def _is_hex(value: object, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and _HEX.issuperset(value)
