"""Scrub secrets out of events before they leave the process (always on, like sentry_sdk).

Values under sensitive keys (passwords, tokens, API keys, session ids, cookies,
authorization headers …) become ``[Filtered]`` wherever the event carries free-form
data: frame local variables, extras, contexts, request data, breadcrumb data and span
data. Keys are compared case-insensitively with ``-`` read as ``_``.
"""

from collections.abc import Iterable
from typing import Any, Final

FILTERED: Final = "[Filtered]"

_EXACT: Final = frozenset(
    {
        "auth",
        "authorization",
        "proxy_authorization",
        "x_api_key",
        "api_key",
        "apikey",
        "passwd",
        "pwd",
        "mysql_pwd",
        "secret",
        "token",
        "credentials",
        "private_key",
        "privatekey",
        "cookie",
        "set_cookie",
        "session",
        "sessionid",
        "connect.sid",
        "phpsessid",
    }
)
_FRAGMENTS: Final = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
    "credential",
    "csrf",
    "xsrf",
    "session",
    "cookie",
)
_MAX_DEPTH: Final = 10


def is_sensitive(key: object) -> bool:
    """Whether values stored under ``key`` must not be sent."""
    if not isinstance(key, str):
        return False
    name = key.strip().lower().replace("-", "_")
    return name in _EXACT or any(fragment in name for fragment in _FRAGMENTS)


def scrub(value: Any, depth: int = 0) -> Any:
    """``value`` with every sensitive key's value replaced, recursively (in place)."""
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        for key in list(value):
            if is_sensitive(key):
                value[key] = FILTERED
            else:
                value[key] = scrub(value[key], depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = scrub(item, depth + 1)
    return value


def scrub_event(event: dict[str, Any]) -> dict[str, Any]:
    """Scrub the free-form parts of an error or transaction event, in place."""
    for key in ("extra", "contexts", "request"):
        if key in event:
            scrub(event[key])
    for frame in _frames(event):
        if isinstance(frame.get("vars"), dict):
            scrub(frame["vars"])
    for crumb in (event.get("breadcrumbs") or {}).get("values") or []:
        if isinstance(crumb, dict) and isinstance(crumb.get("data"), dict):
            scrub(crumb["data"])
    for span in event.get("spans") or []:
        if isinstance(span, dict) and isinstance(span.get("data"), dict):
            scrub(span["data"])
    return event


def _frames(event: dict[str, Any]) -> Iterable[dict[str, Any]]:
    containers = [
        *((event.get("exception") or {}).get("values") or []),
        *((event.get("threads") or {}).get("values") or []),
    ]
    for container in containers:
        if isinstance(container, dict):
            for frame in (container.get("stacktrace") or {}).get("frames") or []:
                if isinstance(frame, dict):
                    yield frame
