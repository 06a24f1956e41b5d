"""Assemble Sentry events: scope data merged global → isolation → current, common fields.

Pure functions over plain dicts; the client decides what is sent.
"""

import platform
import socket
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from scopetel._coerce import dropped, pairs, text
from scopetel._config.options import Options
from scopetel._context.scope import Breadcrumb, Event, Scope
from scopetel._context.scope_data import TagValue
from scopetel._events.relay_shape import normalize_fields, plain_breadcrumbs, timestamp_or_now
from scopetel._serialize import to_json_safe, truncate
from scopetel._version import SDK_NAME, VERSION

_RUNTIME: Final = {
    "name": platform.python_implementation(),
    "version": platform.python_version(),
    "build": sys.version,
}
HOSTNAME: Final = socket.gethostname()
_BUILT_CONTEXTS: Final = frozenset({"trace", "otel", "runtime", "profile"})


def apply_scopes(event: Event, scopes: Sequence[Scope], max_breadcrumbs: int) -> Event:
    """Merge scope data into ``event``; later scopes win, the event's own values win most."""
    tags: dict[str, TagValue] = {}
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
    # the event's own fields are scopetel's, or made JSON-safe by capture_event
    if tags or event.get("tags") is not None:
        event["tags"] = {**tags, **_own(event, "tags")}
    if contexts or event.get("contexts") is not None:
        event["contexts"] = {**contexts, **_own(event, "contexts")}
    if extras or event.get("extra") is not None:
        event["extra"] = {**extras, **_own(event, "extra")}
    if user is not None and not event.get("user"):
        event["user"] = user
    if level is not None:
        event["level"] = level  # like sentry_sdk: a scope's level overrides the event's
    if fingerprint and not event.get("fingerprint"):
        event["fingerprint"] = fingerprint
    is_transaction = event.get("type") == "transaction"
    if transaction and not event.get("transaction") and not is_transaction:
        event["transaction"] = transaction
        event["transaction_info"] = {"source": source} if source else {}
    if not is_transaction:  # sentry_sdk sends the list even when it is empty
        own = event.get("breadcrumbs")
        own = own.get("values") if isinstance(own, dict) else own
        merged = sorted(crumbs, key=_crumb_time) if max_breadcrumbs else []
        merged += own if isinstance(own, list) else []
        kept = merged[-max_breadcrumbs:] if max_breadcrumbs else []
        event["breadcrumbs"] = {"values": plain_breadcrumbs(kept)}
    return event


def _own(event: Event, key: str) -> dict[str, Any]:
    value = event.get(key)
    return value if isinstance(value, dict) else {}


def _crumb_time(crumb: Breadcrumb) -> float:
    stamp = crumb.get("timestamp")
    return stamp if type(stamp) is float else 0.0


def _iso_times(crumbs: list[Breadcrumb]) -> None:
    """Breadcrumb timestamps as ISO 8601, as sentry_sdk sends them (Spotlight reads them)."""
    for crumb in crumbs:
        value = crumb.get("timestamp")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, UTC)
            crumb["timestamp"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def run_event_processors(
    event: Event, hint: dict[str, Any], scopes: Sequence[Scope]
) -> Event | None:
    """Scope event processors, in scope order; ``None`` drops the event."""
    for scope in scopes:
        for processor in scope.data.event_processors:
            result = processor(event, hint)
            if result is None:
                return None
            returned: object = result  # a user's function may return anything
            if isinstance(returned, dict):
                event = returned
            else:
                dropped("event processor", returned, "returned no dict; the event is kept:")
    return event


def finalize(event: Event, options: Options) -> Event:
    """Fill the fields every event carries, make every value JSON-safe and give the
    user-filled ones the shapes Relay accepts."""
    limit = options.max_value_length
    event.setdefault("timestamp", time.time())
    event.setdefault("platform", "python")
    event.setdefault("sdk", sdk_info())
    for key in ("release", "environment", "dist"):
        value = getattr(options, key)
        if value is not None:
            event.setdefault(key, value)
    event.setdefault("server_name", options.server_name or HOSTNAME)
    contexts = event.get("contexts")
    if not isinstance(contexts, dict):
        contexts = event["contexts"] = {}
    contexts.setdefault("runtime", dict(_RUNTIME))
    for key in ("extra", "user"):
        if key in event:
            value = to_json_safe(event[key], max_string=limit)
            event[key] = value if isinstance(value, dict) else {"value": value}
    for name, value in contexts.items():
        # scopetel builds these, and scopes hold JSON-safe copies of what users set
        if name not in _BUILT_CONTEXTS or not isinstance(value, dict):
            value = to_json_safe(value, max_string=limit)
            contexts[name] = value if isinstance(value, dict) else {"value": value}
    normalize_fields(event, limit)
    name = event.get("transaction")
    if isinstance(name, str) and len(name) > limit:
        event["transaction"] = truncate(name, limit)
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict) and isinstance(crumbs.get("values"), list):
        _iso_times(crumbs["values"])
    return event


def sdk_info() -> dict[str, Any]:
    return {
        "name": SDK_NAME,
        "version": VERSION,
        "packages": [{"name": "pypi:scopetel", "version": VERSION}],
    }


def breadcrumb(crumb: object, **kwargs: Any) -> Breadcrumb:
    """A breadcrumb dict from ``add_breadcrumb``'s arguments, with a float timestamp."""
    result: Breadcrumb = {text(k, "breadcrumb key"): v for k, v in pairs(crumb, "breadcrumb")}
    result.update(kwargs)
    result["timestamp"] = timestamp_or_now(result.get("timestamp"), "breadcrumb timestamp")
    result.setdefault("type", "default")
    return result
