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

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from opentelemetry.util.types import AttributeValue

from scopetel._events.sensitive_text import scrub_addresses, scrub_text
from scopetel._semconv.personal_data import FILTERED, is_private
from scopetel._serialize import to_json_safe

_MAX_DEPTH: Final = 24
_SHORTEST_SECRET: Final = 6  # shorter text holds nothing to find ("1.2.3.4" is 7)
_EMPTY_REPRS: Final = frozenset({"''", '""', "None"})
_SCALARS: Final = (int, float, bool, type(None))

_LONGEST_KNOWN: Final = 256  # longer text is remembered for one pass only
_MOST_KNOWN: Final = 4096  # entries remembered across passes, per options
_UNKNOWN: Final[Any] = object()
_KNOWN_TEXTS: Final[dict[tuple[bool, bool], dict[str, str | None]]] = {
    (pii, addresses): {} for pii in (False, True) for addresses in (False, True)
}  # text -> scrubbed text, None: unchanged
_PRIVATE_KEYS: Final[dict[bool, dict[str, bool]]] = {False: {}, True: {}}

Event = dict[str, Any]


def _remember(known: dict[str, Any], key: str, value: Any) -> None:
    """``known[key] = value``; a full table starts over (bounded, and no lock needed)."""
    if len(known) >= _MOST_KNOWN:
        known.clear()
    known[key] = value


class Scrub:
    """One scrubbing pass with its options.

    What a text scrubs to, and whether a key is private, depend on the options alone, so
    they are remembered across passes (bounded, per options): the same ids, names, URLs
    and statements come back in transaction after transaction. Longer text (a repr, an
    ``environ``) is remembered for this pass only (it shows in several frames).

    ``addresses``: also replace IP addresses found in text (frame variables, without
    ``send_default_pii``: see ``sensitive_text.scrub_addresses``).
    """

    __slots__ = ("_frames", "_known", "_private", "_seen", "addresses", "pii")

    def __init__(self, send_default_pii: bool, addresses: bool = False) -> None:
        self.pii = send_default_pii
        self.addresses = addresses
        self._known = _KNOWN_TEXTS[send_default_pii, addresses]  # short text, every pass
        self._seen: dict[str, str | None] = {}  # longer text, this pass
        self._private = _PRIVATE_KEYS[send_default_pii]  # key (a plain str) -> is_private
        self._frames: Scrub | None = None

    @property
    def frames(self) -> "Scrub":
        """The pass for frame variables (addresses too, without ``send_default_pii``)."""
        if self._frames is None:
            self._frames = self if self.pii else Scrub(self.pii, addresses=True)
        return self._frames

    def text(self, text: str) -> str:
        size = len(text)
        if size < _SHORTEST_SECRET:
            return text
        seen = self._known if size <= _LONGEST_KNOWN else self._seen
        result = seen.get(text, _UNKNOWN)
        if result is _UNKNOWN:
            scrubbed = scrub_text(text, self.pii)
            if self.addresses:
                scrubbed = scrub_addresses(scrubbed)
            result = None if scrubbed == text else scrubbed
            _remember(seen, text, result)
        return text if result is None else result

    def value(self, value: Any, depth: int = 0) -> Any:
        """``value`` scrubbed: the same object when nothing in it changed, else a copy."""
        if type(value) is str:
            return self.text(value)
        if depth >= _MAX_DEPTH:
            return value
        if isinstance(value, dict):
            return self._mapping(dict.items(value), value, depth)
        if isinstance(value, (list, tuple)):
            return self._sequence(value, depth)
        if isinstance(value, str):
            return self.text(str.__getitem__(value, slice(None)))
        if isinstance(value, Mapping):
            try:
                items = list(value.items())
            except Exception:
                return value
            return self._mapping(items, value, depth)
        if type(value) in _SCALARS:
            return value
        # Any other object (in breadcrumb data, set by a hook …) becomes data or its repr
        # now, as the envelope would make it, so that its text is scrubbed too.
        return self.value(to_json_safe(value), depth)

    def hides(self, key: object, value: Any) -> bool:
        """Whether ``value`` under ``key`` must be replaced (empty values hide nothing)."""
        return isinstance(key, str) and is_private(key, self.pii) and not _empty(value)

    def _mapping(self, items: Any, original: Any, depth: int) -> Any:
        changes: dict[Any, Any] | None = None
        private, known = self._private, self._known
        for key, item in items:
            hidden = private.get(key) if type(key) is str else None
            if hidden is None:
                hidden = isinstance(key, str) and is_private(key, self.pii)
                if type(key) is str:
                    _remember(private, key, hidden)
            if hidden and not _empty(item):
                new: Any = FILTERED
            elif type(item) is str:
                if known.get(item, _UNKNOWN) is None:  # ``text``'s answer, without the call
                    continue
                new = self.text(item)
            elif type(item) in _SCALARS:
                continue
            else:
                new = self.value(item, depth + 1)
            if new is not item:
                if changes is None:
                    changes = {}
                changes[key] = new
        if changes is None:
            return original
        result = dict(items)
        result.update(changes)
        return result

    def _sequence(self, items: list[Any] | tuple[Any, ...], depth: int) -> Any:
        result: list[Any] | None = None
        for index, item in enumerate(items):
            new = self.value(item, depth + 1)
            if new is not item:
                if result is None:
                    result = list(items)
                result[index] = new
        return items if result is None else result

    def attribute(self, key: str, value: AttributeValue) -> AttributeValue:
        """One span attribute's value as it may be sent (the same object when unchanged)."""
        if self.hides(key, value):  # (an array stays an array: OTLP keeps its type)
            return (FILTERED,) * len(value) if isinstance(value, (list, tuple)) else FILTERED
        if type(value) is str:
            return self.text(value)
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
            texts = [self.text(item) if type(item) is str else item for item in value]
            if _changed(texts, value):
                return tuple(texts)
        return value

    def attributes(self, attributes: Mapping[str, AttributeValue]) -> Mapping[str, AttributeValue]:
        """Span attributes as they may be sent: ``attributes`` itself when nothing changed."""
        changes: dict[str, AttributeValue] | None = None
        for key, value in attributes.items():
            new = self.attribute(key, value)
            if new is not value:
                if changes is None:
                    changes = {}
                changes[key] = new
        return attributes if changes is None else {**attributes, **changes}


def _empty(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if type(value) is str:
        return not value or value in _EMPTY_REPRS
    return type(value) in (dict, list, tuple) and not value


def _changed(new: list[Any], old: list[Any] | tuple[Any, ...]) -> bool:
    return any(a is not b for a, b in zip(new, old, strict=True))


# -- events ---------------------------------------------------------------------------

Step = Callable[[Any, Scrub], Any]
"""Scrubs one part of an event: the same object when nothing in it changed."""


def scrub_event(event: Event, send_default_pii: bool) -> Event:
    """Scrub an error or transaction event: ``event``, its top-level keys re-assigned."""
    scrub = Scrub(send_default_pii)
    changed: list[str] = []
    for key, step in _FIELDS.items():
        if key in event:
            new = step(event[key], scrub)
            if new is not event[key]:
                event[key] = new
                changed.append(key)
    if changed:
        annotate_filtered(event, changed)
    return event


def annotate_filtered(event: Event, keys: Iterable[str]) -> None:
    """``_meta`` for the ``[Filtered]`` values under ``keys`` of the event: Sentry then
    shows that the SDK's configuration removed them (sentry_sdk's annotation)."""
    given = event.get("_meta")
    meta: dict[str, Any] = given if isinstance(given, dict) else {}
    for key in keys:
        found = _filtered(event.get(key), 0)
        if found is not None:
            meta[key] = found
    if meta:
        event["_meta"] = meta


def _filtered(value: Any, depth: int) -> dict[str, Any] | None:
    if type(value) is str:
        return {"": {"rem": [["!config", "s"]]}} if value == FILTERED else None
    if depth >= _MAX_DEPTH:
        return None
    if type(value) is dict:
        items: Iterable[tuple[Any, Any]] = value.items()
    elif type(value) is list:
        items = enumerate(value)
    else:
        return None
    found = {}
    for key, inner in items:
        annotation = _filtered(inner, depth + 1)
        if annotation is not None and key != "":
            found[str(key)] = annotation
    return found or None


def _value(value: Any, scrub: Scrub) -> Any:
    return scrub.value(value)


def _span_data(spans: Any, scrub: Scrub) -> Any:
    """``_each_item(_fields(data=_value))`` for the many entries of a transaction."""
    if not isinstance(spans, list):
        return spans
    result: list[Any] | None = None
    for index, span in enumerate(spans):
        if not isinstance(span, dict) or "data" not in span:
            continue
        data = span["data"]
        if type(data) is dict and not data:
            continue  # (most spans of scopetel's API)
        new = scrub.value(data)
        if new is not data:
            if result is None:
                result = list(spans)
            result[index] = {**span, "data": new}
    return spans if result is None else result


def _fields(**steps: Step) -> Step:
    """Scrub the named fields of a mapping (others untouched)."""

    def apply(mapping: Any, scrub: Scrub) -> Any:
        if not isinstance(mapping, dict):
            return mapping
        changes = {}
        for key, step in steps.items():
            if key in mapping:
                new = step(mapping[key], scrub)
                if new is not mapping[key]:
                    changes[key] = new
        return {**mapping, **changes} if changes else mapping

    return apply


def _each_value(step: Step) -> Step:
    """Scrub every value of a mapping with ``step``; the keys are structural names."""

    def apply(mapping: Any, scrub: Scrub) -> Any:
        if not isinstance(mapping, dict):
            return scrub.value(mapping)
        changes = {}
        for key, value in mapping.items():
            new = step(value, scrub)
            if new is not value:
                changes[key] = new
        return {**mapping, **changes} if changes else mapping

    return apply


def _each_item(step: Step) -> Step:
    """Scrub every item of a list with ``step``."""

    def apply(items: Any, scrub: Scrub) -> Any:
        if not isinstance(items, list):
            return items
        result = [step(item, scrub) for item in items]
        return result if _changed(result, items) else items

    return apply


def _user(user: Any, scrub: Scrub) -> Any:
    """Secrets only (the application set its user explicitly, as with sentry_sdk), but
    the client's address is personal data."""
    result = Scrub(send_default_pii=True).value(user)
    if not scrub.pii and isinstance(result, dict) and "ip_address" in result:
        result = {key: value for key, value in result.items() if key != "ip_address"}
    return result


def _request_part(value: Any, scrub: Scrub) -> Any:
    """Headers, cookies, query string: a mapping, text, or ``[[name, value], …]``."""
    if isinstance(value, list) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        return _each_item(_pair)(value, scrub)
    return scrub.value(value)


def _pair(pair: Any, scrub: Scrub) -> Any:
    name, value = pair
    if scrub.hides(name, value):
        return [name, FILTERED]
    new = scrub.value(value)
    return pair if new is value else [name, new]


_BUILT_CONTEXTS: Final = frozenset({"otel", "runtime"})
"""Contexts scopetel builds from the runtime and the OpenTelemetry resource."""


def _contexts(contexts: Any, scrub: Scrub) -> Any:
    """Every context the application set; of ``trace``, the span data."""
    if not isinstance(contexts, dict):
        return scrub.value(contexts)
    changes = {}
    for name, value in contexts.items():
        if name in _BUILT_CONTEXTS:
            continue
        new = _trace_context(value, scrub) if name == "trace" else scrub.value(value)
        if new is not value:
            changes[name] = new
    return {**contexts, **changes} if changes else contexts


_trace_context = _fields(data=_value)  # ids, op, status …: ours; ``data``: span attributes


def _frame_vars(value: Any, scrub: Scrub) -> Any:
    return scrub.frames.value(value)


_frames = _fields(frames=_each_item(_fields(vars=_frame_vars)))
_stack_holders = _fields(values=_each_item(_fields(value=_value, stacktrace=_frames)))
_FIELDS: Final[dict[str, Step]] = {
    "request": _each_value(_request_part),
    "extra": _value,
    "contexts": _contexts,
    "user": _user,
    "breadcrumbs": _fields(values=_each_item(_fields(data=_value, message=_value))),
    "exception": _stack_holders,
    "threads": _stack_holders,
    "stacktrace": _frames,
    "logentry": _fields(formatted=_value, params=_value),
    "spans": _span_data,
}
