"""The fields of a scope (:class:`ScopeData`), and how values are stored in them.

A scope stores JSON-safe copies of what the application passes (never its objects):
see :func:`plain`. Forks share one ``ScopeData`` until one of them writes.
"""

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Any, Final

from opentelemetry.util.types import AttributeValue

from scopetel._coerce import dropped, text
from scopetel._serialize import JSONValue, to_json_safe
from scopetel.attachments import Attachment

Breadcrumb = dict[str, Any]
Event = dict[str, Any]
Hint = dict[str, Any]
EventProcessor = Callable[[Event, Hint], Event | None]
TagValue = str | bool | int

DEFAULT_MAX_BREADCRUMBS = 100
_MAX_STORED_STRING: Final = 1_000_000  # the highest max_value_length
_INT64_MIN: Final = -(2**63)  # JSON parsers (and Relay) hold 64-bit integers exactly
_INT64_END: Final = 2**63
_MAX_FINGERPRINT: Final = 64


class ScopeData:
    """The fields of a scope; shared between forks until one of them writes."""

    __slots__ = (
        "attachments",
        "attributes",
        "breadcrumbs",
        "contexts",
        "event_processors",
        "extras",
        "fingerprint",
        "level",
        "session",
        "tags",
        "transaction_name",
        "transaction_set",
        "transaction_source",
        "user",
    )

    def __init__(self) -> None:
        self.tags: dict[str, TagValue] = {}
        self.user: dict[str, Any] | None = None
        self.contexts: dict[str, dict[str, Any]] = {}
        self.extras: dict[str, Any] = {}
        self.level: str | None = None
        self.fingerprint: list[str] | None = None
        self.breadcrumbs: deque[Breadcrumb] = deque(maxlen=DEFAULT_MAX_BREADCRUMBS)
        self.transaction_name: str | None = None
        self.transaction_source: str | None = None
        # (trace id, time ns) of a set_transaction_name made inside a span: it renames the
        # transaction of that trace that was open at that time, and no other
        self.transaction_set: tuple[int, int] | None = None
        self.event_processors: list[EventProcessor] = []
        # release health and attachments (scopetel._sessions, scopetel.attachments)
        self.attachments: tuple[Attachment, ...] = ()
        self.session: object | None = None
        # set_attribute: attributes of logs, metrics and streamed spans (sentry_sdk 2.35+)
        self.attributes: dict[str, AttributeValue] = {}

    def name_in_trace(
        self, trace_id: int, start_ns: int = 0, end_ns: int | None = None
    ) -> str | None:
        """The name a ``set_transaction_name`` in trace ``trace_id`` gave (made between
        ``start_ns`` and ``end_ns`` when given), or None."""
        marker = self.transaction_set
        if self.transaction_name is None or marker is None or marker[0] != trace_id:
            return None
        if marker[1] < start_ns or (end_ns is not None and marker[1] > end_ns):
            return None
        return self.transaction_name

    def copy(self) -> "ScopeData":
        data = ScopeData.__new__(ScopeData)  # no copy.copy: this runs on every request
        data.tags = dict(self.tags)
        data.user = None if self.user is None else dict(self.user)
        data.contexts = dict(self.contexts)
        data.extras = dict(self.extras)
        data.level = self.level
        data.fingerprint = self.fingerprint
        data.breadcrumbs = deque(self.breadcrumbs, maxlen=self.breadcrumbs.maxlen)
        data.transaction_name = self.transaction_name
        data.transaction_source = self.transaction_source
        data.transaction_set = self.transaction_set
        data.event_processors = list(self.event_processors)
        data.attachments = self.attachments  # a tuple: shared until replaced
        data.session = self.session
        data.attributes = dict(self.attributes)
        return data


def plain(value: object) -> JSONValue:
    """A JSON-safe copy of a value stored on a scope (the application's object is never
    kept, changed or scrubbed); generous bounds: events apply ``max_value_length`` later."""
    if type(value) is str:
        if len(value) <= _MAX_STORED_STRING and value.isascii():
            return value
    elif (
        value is None
        or type(value) is bool
        or (type(value) is int and _INT64_MIN <= value < _INT64_END)
    ):
        return value
    return to_json_safe(value, max_depth=10, max_breadth=1000, max_string=_MAX_STORED_STRING)


def plain_dict(value: Mapping[Any, object], what: str) -> dict[str, JSONValue]:
    """:func:`plain` of a mapping, as a dict (string keys; one unreadable: its text)."""
    converted = plain(value)
    if isinstance(converted, dict):
        return converted
    dropped(what, value, "could not read the entries of")
    return {"value": converted}


def tag_value(value: object) -> TagValue:
    """A tag value as sentry_sdk sends it: text, or a bool or 64-bit integer as it is
    (Relay makes them ``"True"``, ``"3"``); other numbers as text (Relay would cut
    ``1.5`` to ``"1"``)."""
    if type(value) is str or type(value) is bool:
        return value
    if type(value) is int and _INT64_MIN <= value < _INT64_END:
        return value
    return text(value, "tag value")


def fingerprint_parts(value: object) -> list[str] | None:
    """A fingerprint as a list of strings (one string is a list of one); None if not one."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        return [text(value, "fingerprint")]
    if isinstance(value, Iterable):
        try:
            return [text(part, "fingerprint part") for part in islice(value, _MAX_FINGERPRINT)]
        except Exception:
            pass
    dropped("fingerprint", value, "needs a list of strings; ignored:")
    return None


def attribute_value(value: object) -> AttributeValue:
    """A value of ``set_attribute``: a scalar as it is, anything else as its JSON text."""
    stored = plain(value)
    if stored is None:
        return "None"
    if isinstance(stored, (str, bool, int, float)):
        return stored
    return json.dumps(stored, separators=(",", ":"))  # plain(): JSON-safe


class ErrorProcessor:
    """``add_error_processor(func, cls)``: ``func(event, exc_info)`` on error events (of
    exceptions of ``cls``), run as an event processor of the scope."""

    __slots__ = ("cls", "func")

    def __init__(
        self, func: Callable[[Event, Any], Event | None], cls: type[BaseException] | None
    ) -> None:
        self.func = func
        self.cls = cls if isinstance(cls, type) else None

    def __call__(self, event: Event, hint: Hint) -> Event | None:
        exc_info = hint.get("exc_info")
        if not isinstance(exc_info, tuple) or len(exc_info) != 3 or exc_info[1] is None:
            return event
        if self.cls is not None and not isinstance(exc_info[1], self.cls):
            return event
        return self.func(event, exc_info)
