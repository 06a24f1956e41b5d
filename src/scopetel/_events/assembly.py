"""Assemble Sentry events: scope data merged global → isolation → current, common fields.

Pure functions over plain dicts; the client decides what is sent.
"""

import math
import platform
import socket
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from scopetel._config.options import Options
from scopetel._context.scope import Breadcrumb, Event, Scope
from scopetel._serialize import to_json_safe, truncate
from scopetel._version import SDK_NAME, VERSION

_RUNTIME: Final = {
    "name": platform.python_implementation(),
    "version": platform.python_version(),
    "build": sys.version,
}
_HOSTNAME: Final = socket.gethostname()
_BUILT_CONTEXTS: Final = frozenset({"trace", "otel", "runtime"})


def new_event_id() -> str:
    return uuid.uuid4().hex


def apply_scopes(event: Event, scopes: Sequence[Scope], max_breadcrumbs: int) -> Event:
    """Merge scope data into ``event``; later scopes win, the event's own values win most."""
    tags: dict[str, str] = {}
    contexts: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    crumbs: list[Breadcrumb] = []
    user = level = fingerprint = transaction = source = None
    for scope in scopes:
        data = scope.data
        tags.update(data.tags)
        contexts.update(data.contexts)
        extras.update(data.extras)
        crumbs.extend(data.breadcrumbs)
        user = data.user if data.user is not None else user
        level = data.level or level
        fingerprint = data.fingerprint or fingerprint
        if data.transaction_name:
            transaction, source = data.transaction_name, data.transaction_source
    if tags or event.get("tags"):
        event["tags"] = {**tags, **(event.get("tags") or {})}
    if contexts or event.get("contexts"):
        event["contexts"] = {**contexts, **(event.get("contexts") or {})}
    if extras or event.get("extra"):
        event["extra"] = {**extras, **(event.get("extra") or {})}
    if user is not None and not event.get("user"):
        event["user"] = user
    if level is not None:
        event["level"] = level  # like sentry_sdk: a scope's level overrides the event's
    if fingerprint and not event.get("fingerprint"):
        event["fingerprint"] = fingerprint
    is_transaction = event.get("type") == "transaction"
    if transaction and not event.get("transaction") and not is_transaction:
        event["transaction"] = transaction
        event["transaction_info"] = {"source": source or "custom"}
    if not is_transaction:  # sentry_sdk sends the list even when it is empty
        own = (event.get("breadcrumbs") or {}).get("values", [])
        merged = sorted(crumbs, key=_crumb_time) + list(own) if max_breadcrumbs else list(own)
        kept = merged[-max_breadcrumbs:] if max_breadcrumbs else []
        event["breadcrumbs"] = {"values": [_with_iso_time(crumb) for crumb in kept]}
    return event


def _crumb_time(crumb: Breadcrumb) -> float:
    value = crumb.get("timestamp")
    return value if isinstance(value, float) else 0.0


def _with_iso_time(crumb: Breadcrumb) -> Breadcrumb:
    """A copy with the timestamp as ISO 8601 (as sentry_sdk sends; Spotlight reads it)."""
    value = crumb.get("timestamp")
    if not isinstance(value, int | float) or isinstance(value, bool):
        return crumb
    moment = datetime.fromtimestamp(value, UTC)
    return {**crumb, "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


def run_event_processors(
    event: Event, hint: dict[str, Any], scopes: Sequence[Scope]
) -> Event | None:
    """Scope event processors, in scope order; ``None`` drops the event."""
    for scope in scopes:
        for processor in scope.data.event_processors:
            result = processor(event, hint)
            if result is None:
                return None
            event = result
    return event


def finalize(event: Event, options: Options) -> Event:
    """Fill the fields every event carries, and make every value JSON-safe."""
    event.setdefault("event_id", new_event_id())
    event.setdefault("timestamp", time.time())
    event.setdefault("platform", "python")
    event.setdefault("sdk", sdk_info())
    for key in ("release", "environment", "dist"):
        value = getattr(options, key)
        if value is not None:
            event.setdefault(key, value)
    event.setdefault("server_name", options.server_name or _HOSTNAME)
    contexts = event.setdefault("contexts", {})
    contexts.setdefault("runtime", dict(_RUNTIME))
    limit = options.max_value_length
    for key in ("extra", "tags", "user"):
        if key in event:
            event[key] = to_json_safe(event[key], max_string=limit)
    contexts = event["contexts"]
    for name, value in contexts.items():
        if name not in _BUILT_CONTEXTS:  # ours hold span attribute values: JSON already
            contexts[name] = to_json_safe(value, max_string=limit)
    if "tags" in event:
        event["tags"] = {str(k): str(v) for k, v in event["tags"].items()}
    name = event.get("transaction")
    if isinstance(name, str) and len(name) > limit:
        event["transaction"] = truncate(name, limit)
    return event


def sdk_info() -> dict[str, Any]:
    return {
        "name": SDK_NAME,
        "version": VERSION,
        "packages": [{"name": "pypi:scopetel", "version": VERSION}],
    }


def breadcrumb(crumb: Mapping[str, Any] | None, **kwargs: Any) -> Breadcrumb:
    """A breadcrumb dict from ``add_breadcrumb``'s arguments, with a float timestamp."""
    result: Breadcrumb = dict(crumb) if isinstance(crumb, Mapping) else {}
    result.update(kwargs)
    result["timestamp"] = timestamp_seconds(result.get("timestamp"))
    result.setdefault("type", "default")
    return result


def timestamp_seconds(value: object) -> float:
    """A datetime or number as float seconds since the epoch (now when neither)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return time.time()
