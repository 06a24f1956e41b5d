"""Sentry-style scopes: bags of event data, forked copy-on-write.

A Scope is mutable, like sentry_sdk's: ``scope.set_tag`` changes it for everything
that holds this scope. *Which* scope is current is not mutable: it is a value in the
OpenTelemetry Context (see ``_scopes.py``), so a fork made for a request, a task or a
span is seen only by the code running in that Context.
"""

import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Any, Final, Protocol

from scopetel._coerce import dropped, optional_text, pairs, text
from scopetel._semconv.relay_fields import LEVELS, level
from scopetel._serialize import JSONValue, to_json_safe
from scopetel.attachments import Attachment

LOGGER: Final = logging.getLogger("scopetel")

Breadcrumb = dict[str, Any]
Event = dict[str, Any]
Hint = dict[str, Any]
EventProcessor = Callable[[Event, Hint], Event | None]

DEFAULT_MAX_BREADCRUMBS = 100
_MAX_STORED_STRING: Final = 1_000_000  # the highest max_value_length
_INT64_MIN: Final = -(2**63)  # JSON parsers (and Relay) hold 64-bit integers exactly
_INT64_END: Final = 2**63
TRACE_CONTEXT: Final = "trace"  # contexts.trace: built from the active span, not set
_MAX_FINGERPRINT: Final = 64


class ScopeData:
    """The fields of a scope; shared between forks until one of them writes."""

    __slots__ = (
        "attachments",
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
        self.tags: dict[str, str] = {}
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
        return data


class Scope:
    """Tags, user, contexts, extras, level, breadcrumbs … applied to captured events."""

    __slots__ = ("_data", "_shared", "kind", "last_event_id", "span_id", "trace_id")

    def __init__(self, kind: str = "current", data: ScopeData | None = None) -> None:
        self.kind = kind  # "global", "isolation" or "current"
        self._data = ScopeData() if data is None else data
        self._shared = data is not None
        self.last_event_id: str | None = None  # of events captured in this isolation scope
        self.trace_id: int | None = None  # links span-less events of this isolation scope
        self.span_id: int | None = None  # ... and what they propagate as their parent

    def fork(self) -> "Scope":
        """A copy-on-write child: changes on either side are invisible to the other."""
        self._shared = True
        child = Scope.__new__(Scope)  # skips __init__: this is on every span and scope entry
        child.kind = self.kind
        child._data = self._data
        child._shared = True
        child.last_event_id = None
        child.trace_id = None
        child.span_id = None
        return child

    @property
    def data(self) -> ScopeData:
        """Read-only view of the fields (do not mutate; use the setters)."""
        return self._data

    def _own(self) -> ScopeData:
        if self._shared:
            self._data = self._data.copy()
            self._shared = False
        return self._data

    def set_tag(self, key: str, value: object) -> None:
        name = key if type(key) is str else text(key, "set_tag key")
        self._own().tags[name] = value if type(value) is str else _tag_value(value)

    def set_tags(self, tags: Mapping[str, object]) -> None:
        given: object = tags  # callers pass whatever they got
        if given is None:
            dropped("set_tags", given, "needs a dict; ignored:")
            return
        own = self._own().tags
        for key, value in pairs(tags, "set_tags"):
            own[text(key, "set_tags key")] = _tag_value(value)

    def remove_tag(self, key: str) -> None:
        self._own().tags.pop(text(key, "remove_tag key"), None)

    def set_user(self, value: Mapping[str, Any] | object) -> None:
        if value is None:
            self._own().user = None
        elif isinstance(value, Mapping):
            self._own().user = plain_dict(value, "set_user")
        else:
            dropped("set_user", value, "needs a dict; ignored")

    def set_context(self, key: str, value: Mapping[str, Any] | object) -> None:
        name = text(key, "set_context key")
        if name == TRACE_CONTEXT:
            dropped("set_context", name, "the trace context comes from the active span; ignored")
            return
        contexts = self._own().contexts
        if value is None:
            contexts.pop(name, None)
        elif isinstance(value, Mapping):
            contexts[name] = plain_dict(value, "set_context")
        else:
            dropped("set_context", value, "needs a dict; stored under 'value':")
            contexts[name] = {"value": plain(value)}

    def remove_context(self, key: str) -> None:
        self._own().contexts.pop(text(key, "remove_context key"), None)

    def set_extra(self, key: str, value: object) -> None:
        self._own().extras[text(key, "set_extra key")] = plain(value)

    def remove_extra(self, key: str) -> None:
        self._own().extras.pop(text(key, "remove_extra key"), None)

    def set_level(self, value: str | None) -> None:
        if value is None:
            self._own().level = None
            return
        valid = level(text(value, "level")) if isinstance(value, str) else None
        if valid is None:
            dropped("set_level", value, f"not one of {sorted(LEVELS)}; ignored:")
            return
        self._own().level = valid

    @property
    def level(self) -> str | None:
        return self._data.level

    @property
    def fingerprint(self) -> list[str] | None:
        return self._data.fingerprint

    @fingerprint.setter
    def fingerprint(self, value: Iterable[str] | None) -> None:
        parts = fingerprint_parts(value)
        if parts is not None or value is None:
            self._own().fingerprint = parts

    @property
    def transaction(self) -> str | None:
        """The transaction name events captured under this scope carry."""
        return self._data.transaction_name

    def set_transaction_name(
        self, name: str, source: str | None = None, within: tuple[int, int] | None = None
    ) -> None:
        own = self._own()
        own.transaction_name = text(name, "set_transaction_name")
        own.transaction_source = optional_text(source, "transaction source") or "custom"
        own.transaction_set = within if isinstance(within, tuple) else None

    def add_breadcrumb_data(self, crumb: Breadcrumb, max_breadcrumbs: int) -> None:
        """Append an already processed breadcrumb (see ``scopetel.add_breadcrumb``)."""
        given: object = crumb  # callers pass whatever they got
        if not isinstance(given, dict):
            dropped("add_breadcrumb_data", given, "needs a dict; ignored:")
            return
        if type(max_breadcrumbs) is not int or max_breadcrumbs < 0:
            max_breadcrumbs = DEFAULT_MAX_BREADCRUMBS
        own = self._own()
        if own.breadcrumbs.maxlen != max_breadcrumbs:
            own.breadcrumbs = deque(own.breadcrumbs, maxlen=max_breadcrumbs)
        own.breadcrumbs.append(crumb)

    def clear_breadcrumbs(self) -> None:
        self._own().breadcrumbs.clear()

    def add_event_processor(self, processor: EventProcessor) -> None:
        given: object = processor  # callers pass whatever they got
        if not callable(given):
            dropped("add_event_processor", given, "not callable; ignored:")
            return
        self._own().event_processors.append(processor)

    def clear(self) -> None:
        """Forget all data on this scope."""
        self._data = ScopeData()
        self._shared = False

    # -- attachments and release health (scopetel.attachments, scopetel._sessions) -------
    def add_attachment(
        self,
        bytes: Any = None,
        filename: str | None = None,
        path: str | None = None,
        content_type: str | None = None,
        add_to_transactions: bool = False,
    ) -> None:
        """Send a file (``path``, read when sent) or ``bytes`` with this scope's events."""
        try:
            attachment = Attachment(bytes, filename, path, content_type, add_to_transactions)
        except Exception as error:
            LOGGER.debug("scopetel: add_attachment ignored: %s", error)
            return
        own = self._own()
        own.attachments = (*own.attachments, attachment)

    def clear_attachments(self) -> None:
        self._own().attachments = ()

    def start_session(self, *args: Any, session_mode: str = "application", **kwargs: Any) -> None:
        """Start a release-health session on this scope (ending the one it had)."""
        SESSION_HOOKS.start(self, session_mode)

    def end_session(self, *args: Any, **kwargs: Any) -> None:
        """End this scope's session, if any, and send it."""
        SESSION_HOOKS.end(self)

    def set_session(self, session: object | None) -> None:
        self._own().session = session

    def __repr__(self) -> str:
        return f"<Scope {self.kind} tags={len(self._data.tags)}>"


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


class SessionHooks(Protocol):
    """What ``Scope.start_session``/``end_session`` do; ``scopetel._sessions`` sets it."""

    def start(self, scope: Scope, session_mode: str) -> None: ...

    def end(self, scope: Scope) -> None: ...


class _NoSessions:
    def start(self, scope: Scope, session_mode: str) -> None:
        pass

    def end(self, scope: Scope) -> None:
        pass


SESSION_HOOKS: SessionHooks = _NoSessions()
"""Replaced by ``scopetel._sessions`` when it is imported (the core imports it)."""


def _tag_value(value: object) -> str:
    return value if type(value) is str else text(value, "tag value")


def fingerprint_parts(value: object) -> list[str] | None:
    """A fingerprint as a list of strings (one string is a list of one); None if not one."""
    if value is None:
        return None
    if isinstance(value, str | bytes):
        return [text(value, "fingerprint")]
    if isinstance(value, Iterable):
        try:
            return [text(part, "fingerprint part") for part in islice(value, _MAX_FINGERPRINT)]
        except Exception:
            pass
    dropped("fingerprint", value, "needs a list of strings; ignored:")
    return None
