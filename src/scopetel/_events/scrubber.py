"""Scrub secrets (always) and personal data (without ``send_default_pii``) out of what
leaves the process: Sentry events and transactions, and span attributes.

Names decide first (``personal_data``: a private key's value becomes ``[Filtered]``, at
any depth); then the text of every string (``sensitive_text``: query strings, reprs,
URLs, credentials, card numbers). It covers the free-form parts of an event: request
data, extras, contexts, breadcrumbs (data and message), frame variables, exception
values, log messages, the secrets in ``user``, span data.

Scrubbing is copy-on-write: a container is copied only when something inside it
changes, and nothing reachable from the event (the application's own dicts passed to
``set_extra``, ``set_context``, breadcrumbs) is ever modified; ``scrub_event`` only
re-assigns the event's own top-level keys.
"""

from collections.abc import Callable, Mapping
from typing import Any, Final

from opentelemetry.util.types import AttributeValue

from scopetel._events.sensitive_text import scrub_text
from scopetel._semconv.personal_data import FILTERED, is_private

_MAX_DEPTH: Final = 24
_EMPTY_REPRS: Final = frozenset({"''", '""', "None"})

Event = dict[str, Any]


def scrubbed(value: Any, send_default_pii: bool, depth: int = 0) -> Any:
    """``value`` scrubbed: the same object when nothing in it changed, else a copy."""
    if type(value) is str:
        return scrub_text(value, send_default_pii)
    if depth >= _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return _scrubbed_mapping(dict.items(value), value, send_default_pii, depth)
    if isinstance(value, list | tuple):
        return _scrubbed_sequence(value, send_default_pii, depth)
    if isinstance(value, str):
        return scrub_text(str.__getitem__(value, slice(None)), send_default_pii)
    if isinstance(value, Mapping):
        try:
            items = list(value.items())
        except Exception:
            return value
        return _scrubbed_mapping(items, value, send_default_pii, depth)
    return value


def _private_value(key: object, value: Any, send_default_pii: bool) -> bool:
    """Whether ``value`` under ``key`` must be replaced (empty values hide nothing)."""
    return isinstance(key, str) and is_private(key, send_default_pii) and not _empty(value)


def _empty(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if type(value) is str:
        return not value or value in _EMPTY_REPRS
    return type(value) in (dict, list, tuple) and not value


def _scrubbed_mapping(items: Any, original: Any, pii: bool, depth: int) -> Any:
    changes: dict[Any, Any] | None = None
    for key, item in items:
        new = FILTERED if _private_value(key, item, pii) else scrubbed(item, pii, depth + 1)
        if new is not item:
            if changes is None:
                changes = {}
            changes[key] = new
    if changes is None:
        return original
    result = dict(items)
    result.update(changes)
    return result


def _scrubbed_sequence(items: list[Any] | tuple[Any, ...], pii: bool, depth: int) -> Any:
    result: list[Any] | None = None
    for index, item in enumerate(items):
        new = scrubbed(item, pii, depth + 1)
        if new is not item:
            if result is None:
                result = list(items)
            result[index] = new
    return items if result is None else result


def scrub_attribute(key: str, value: AttributeValue, send_default_pii: bool) -> AttributeValue:
    """One span attribute's value as it may be sent (the same object when unchanged)."""
    if _private_value(key, value, send_default_pii):
        return FILTERED
    if type(value) is str:
        return scrub_text(value, send_default_pii)
    if isinstance(value, list | tuple) and value and isinstance(value[0], str):
        texts = [scrub_text(item, send_default_pii) for item in value]
        if any(new is not old for new, old in zip(texts, value, strict=True)):
            return tuple(texts)
    return value


def scrub_attributes(
    attributes: Mapping[str, AttributeValue], send_default_pii: bool
) -> Mapping[str, AttributeValue]:
    """Span attributes as they may be sent: ``attributes`` itself when nothing changed."""
    changes: dict[str, AttributeValue] | None = None
    for key, value in attributes.items():
        new = scrub_attribute(key, value, send_default_pii)
        if new is not value:
            if changes is None:
                changes = {}
            changes[key] = new
    if changes is None:
        return attributes
    return {**attributes, **changes}


# -- events ---------------------------------------------------------------------------


def scrub_event(event: Event, send_default_pii: bool) -> Event:
    """Scrub an error or transaction event: ``event``, its top-level keys re-assigned."""
    pii = send_default_pii
    for key, scrub in _FIELDS.items():
        if key in event:
            new = scrub(event[key], pii)
            if new is not event[key]:
                event[key] = new
    return event


def _each_value(scrub: Callable[[Any, bool], Any]) -> Callable[[Any, bool], Any]:
    """Scrub every value of a mapping with ``scrub``, its keys (structural names) unread."""

    def apply(mapping: Any, pii: bool) -> Any:
        if not isinstance(mapping, dict):
            return scrubbed(mapping, pii)
        changes = {}
        for key, value in mapping.items():
            new = scrub(value, pii)
            if new is not value:
                changes[key] = new
        return {**mapping, **changes} if changes else mapping

    return apply


def _fields(**scrubs: Callable[[Any, bool], Any]) -> Callable[[Any, bool], Any]:
    """Scrub the named fields of a mapping (others untouched)."""

    def apply(mapping: Any, pii: bool) -> Any:
        if not isinstance(mapping, dict):
            return mapping
        changes = {}
        for key, scrub in scrubs.items():
            if key in mapping:
                new = scrub(mapping[key], pii)
                if new is not mapping[key]:
                    changes[key] = new
        return {**mapping, **changes} if changes else mapping

    return apply


def _each_item(scrub: Callable[[Any, bool], Any]) -> Callable[[Any, bool], Any]:
    """Scrub every item of a list with ``scrub``."""

    def apply(items: Any, pii: bool) -> Any:
        if not isinstance(items, list):
            return items
        result = [scrub(item, pii) for item in items]
        return (
            result if any(new is not old for new, old in zip(result, items, strict=True)) else items
        )

    return apply


def _user(user: Any, pii: bool) -> Any:
    """Secrets only: the application set its user explicitly (as in sentry_sdk), but the
    client's address is personal data."""
    result = scrubbed(user, True)
    if not pii and isinstance(result, dict) and "ip_address" in result:
        result = {key: value for key, value in result.items() if key != "ip_address"}
    return result


def _request_pairs(value: Any, pii: bool) -> Any:
    """Headers, cookies or a query string as ``[[name, value], …]`` (Sentry accepts it)."""
    if isinstance(value, list) and all(isinstance(p, list | tuple) and len(p) == 2 for p in value):
        return _each_item(_pair)(value, pii)
    return scrubbed(value, pii)


def _pair(pair: Any, pii: bool) -> Any:
    name, value = pair
    if _private_value(name, value, pii):
        return [name, FILTERED]
    new = scrubbed(value, pii)
    return pair if new is value else [name, new]


_frames = _fields(frames=_each_item(_fields(vars=scrubbed)))
_stack_holders = _fields(
    values=_each_item(_fields(value=scrubbed, stacktrace=_frames)),
)
_FIELDS: Final[dict[str, Callable[[Any, bool], Any]]] = {
    "request": _each_value(_request_pairs),
    "extra": scrubbed,
    "contexts": _each_value(scrubbed),
    "user": _user,
    "breadcrumbs": _fields(values=_each_item(_fields(data=scrubbed, message=scrubbed))),
    "exception": _stack_holders,
    "threads": _stack_holders,
    "stacktrace": _frames,
    "logentry": _fields(formatted=scrubbed, params=scrubbed),
    "spans": _each_item(_fields(data=scrubbed)),
}
