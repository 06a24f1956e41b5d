"""Events in the shapes Relay accepts, whatever the application put in them.

``capture_event`` takes any dict and ``before_send`` may return anything: before an
event leaves, every field users fill is given the type Relay expects (``level`` one of
its levels, ``fingerprint`` a list of strings, ``user.email`` a string, breadcrumbs with
known keys only …). A value that cannot be used is left out with one debug line on
logger ``scopetel``; nothing here raises.
"""

import ipaddress
import time
from collections.abc import Mapping
from typing import Any, Final

from scopetel._coerce import (
    MAX_TIMESTAMP,
    MIN_TIMESTAMP,
    dropped,
    pairs,
    seconds_since_epoch,
    text,
)
from scopetel._context.scope import Breadcrumb, Event, fingerprint_parts
from scopetel._context.scope_data import TagValue, tag_value
from scopetel._random_ids import uuid4_hex
from scopetel._semconv import relay_fields
from scopetel._serialize import JSONValue, safe_str, to_json_safe

INTERNAL_ERROR_REASON: Final = "internal_sdk_error"
"""Client-report reason of what scopetel's own error lost (counted, never silent)."""

_CRUMB_TEXT: Final = ("type", "category", "message")
_USER_TEXT: Final = ("email", "username", "name", "segment", "sentry_user")
_MAX_STORED: Final = 1_000_000  # generous: events apply max_value_length when sent


def clean_breadcrumb(crumb: Mapping[Any, object]) -> Breadcrumb:
    """A breadcrumb with Relay's keys only (others move into ``data``), typed as Relay
    wants them; ``data`` values are kept as given (made JSON-safe when an event is built)."""
    result: Breadcrumb = {}
    data: dict[str, object] = {}
    for key, value in pairs(crumb, "breadcrumb"):
        name = text(key, "breadcrumb key")
        if name in _CRUMB_TEXT:
            if value is not None:
                result[name] = text(value, f"breadcrumb {name}")
        elif name == "level":
            valid = relay_fields.level(text(value, "level")) if isinstance(value, str) else None
            if valid is not None:
                result["level"] = valid
            elif value is not None:
                dropped("breadcrumb level", value, "is not a level; left out:")
        elif name == "timestamp":
            result["timestamp"] = timestamp_or_now(value, "breadcrumb timestamp")
        elif name == "data":
            if isinstance(value, Mapping):
                data.update((text(k, "breadcrumb data key"), v) for k, v in pairs(value, name))
            elif value is not None:
                data["value"] = value
        elif name == "event_id":
            valid_id = relay_fields.event_id(text(value, "breadcrumb event_id"))
            if valid_id is not None:
                result["event_id"] = valid_id
        else:
            data[name] = value
    if data:
        result["data"] = data
    result.setdefault("timestamp", time.time())
    result.setdefault("type", "default")
    return result


def timestamp_or_now(value: object, what: str) -> float:
    """Seconds since the epoch of ``value`` (naive datetimes are UTC); now if not a time."""
    seconds = seconds_since_epoch(value, what, naive_utc=True)
    return time.time() if seconds is None else seconds


def plain_breadcrumbs(crumbs: list[Breadcrumb]) -> list[Breadcrumb]:
    """Copies of stored breadcrumbs whose ``data`` is JSON-safe (scrubbing edits copies)."""
    result: list[Breadcrumb] = []
    for crumb in crumbs:
        copy = dict(crumb)
        if "data" in copy:
            data = to_json_safe(copy["data"], max_string=_MAX_STORED)
            copy["data"] = data if isinstance(data, dict) else {"value": data}
        result.append(copy)
    return result


def normalize_fields(event: Event, max_string: int) -> None:
    """Give every user-filled field of a finished event the shape Relay expects."""
    valid_id = relay_fields.event_id(text(event.get("event_id", ""), "event_id"))
    event["event_id"] = valid_id if valid_id is not None else uuid4_hex()
    stamp = event.get("timestamp")
    if stamp is not None and not (type(stamp) is float and MIN_TIMESTAMP <= stamp < MAX_TIMESTAMP):
        event["timestamp"] = timestamp_or_now(stamp, "event timestamp")
    for key in ("message", "logger", "transaction", "culprit"):
        if key in event and event[key] is not None and type(event[key]) is not str:
            event[key] = text(event[key], key)
    _normalize_level(event)
    if "fingerprint" in event:
        parts = fingerprint_parts(event["fingerprint"])
        if parts is None:
            del event["fingerprint"]
        else:
            event["fingerprint"] = parts
    info = event.get("transaction_info")
    valid_info = isinstance(info, dict) and (not info or isinstance(info.get("source"), str))
    if info is not None and not valid_info:  # {} (no transaction) is what sentry_sdk sends
        source = info.get("source") if isinstance(info, dict) else None
        event["transaction_info"] = {"source": text(source or "custom", "transaction source")}
    if "tags" in event:
        event["tags"] = tags(event["tags"])
    if "user" in event:
        event["user"] = user(event["user"])
    if "breadcrumbs" in event:
        event["breadcrumbs"] = {"values": breadcrumb_values(event["breadcrumbs"], max_string)}


def _normalize_level(event: Event) -> None:
    value = event.get("level")
    if value is None:
        return
    valid = relay_fields.level(text(value, "level")) if isinstance(value, str) else None
    if valid is None:
        dropped("event level", value, "is not a level; left out:")
        del event["level"]
    else:
        event["level"] = valid


def tags(value: object) -> dict[str, TagValue]:
    """Tags as Relay keeps them: valid keys, one-line values, none empty; a bool or a
    64-bit integer as it is (sentry_sdk sends them so; Relay makes them text)."""
    result: dict[str, TagValue] = {}
    for key, inner in pairs(value, "tags"):
        name = relay_fields.tag_key(text(key, "tag key"))
        if type(inner) is bool or type(inner) is int:
            kept = tag_value(inner)
            tag: TagValue | None = kept if type(kept) is not str else relay_fields.tag_value(kept)
        else:
            tag = None if inner is None else relay_fields.tag_value(text(inner, "tag value"))
        if name is None or tag is None:
            dropped("tag", key, "has an empty or invalid key or value; left out:")
            continue
        result[name] = tag
    return result


def user(value: object) -> dict[str, JSONValue]:
    """``user`` with Relay's fields typed (``id`` a primitive, ``email`` a string …)."""
    if not isinstance(value, dict):
        return {"data": {"value": safe_str(value)}} if value is not None else {}
    result: dict[str, JSONValue] = dict(value)
    user_id = result.get("id")
    if isinstance(user_id, (list, dict)):
        result["id"] = safe_str(user_id)
    for key in _USER_TEXT:
        if key in result:
            _text_or_drop(result, key)
    address = result.get("ip_address")
    if address is not None and not _ip_address(address):
        dropped("user.ip_address", address, "is not an IP address; left out:")
        del result["ip_address"]
    geo = result.get("geo")
    if geo is not None:
        if isinstance(geo, dict):
            result["geo"] = {k: safe_str(v) for k, v in geo.items() if v is not None}
        else:
            del result["geo"]
    data = result.get("data")
    if data is not None and not isinstance(data, dict):
        result["data"] = {"value": data}
    return result


def _text_or_drop(fields: dict[str, JSONValue], key: str) -> None:
    value = fields[key]
    if value is None:
        del fields[key]
    elif not isinstance(value, str):
        fields[key] = safe_str(value)


def _ip_address(value: object) -> bool:
    if value == "{{auto}}":
        return True
    try:
        ipaddress.ip_address(value)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def breadcrumb_values(value: object, max_string: int) -> list[Breadcrumb]:
    """The breadcrumbs of ``{"values": [...]}`` (or a bare list), cleaned."""
    crumbs = value.get("values") if isinstance(value, dict) else value
    result: list[Breadcrumb] = []
    for crumb in crumbs if isinstance(crumbs, list) else ():
        if not isinstance(crumb, Mapping):
            continue
        cleaned = clean_breadcrumb(crumb)
        if "data" in cleaned:
            data = to_json_safe(cleaned["data"], max_string=max_string)
            cleaned["data"] = data if isinstance(data, dict) else {"value": data}
        result.append(cleaned)
    return result
