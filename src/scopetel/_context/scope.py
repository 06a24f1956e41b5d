"""Sentry-style scopes: bags of event data, forked copy-on-write.

A Scope is mutable, like sentry_sdk's: ``scope.set_tag`` changes it for everything
that holds this scope. *Which* scope is current is not mutable: it is a value in the
OpenTelemetry Context (see ``_scopes.py``), so a fork made for a request, a task or a
span is seen only by the code running in that Context.
"""

import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol

from scopetel.attachments import Attachment

LOGGER: Final = logging.getLogger("scopetel")

Breadcrumb = dict[str, Any]
Event = dict[str, Any]
Hint = dict[str, Any]
EventProcessor = Callable[[Event, Hint], Event | None]

DEFAULT_MAX_BREADCRUMBS = 100
LEVELS = frozenset({"fatal", "error", "warning", "info", "debug"})


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
        self._own().tags[str(key)] = _tag_value(value)

    def set_tags(self, tags: Mapping[str, object]) -> None:
        own = self._own().tags
        for key, value in tags.items():
            own[str(key)] = _tag_value(value)

    def remove_tag(self, key: str) -> None:
        self._own().tags.pop(key, None)

    def set_user(self, value: Mapping[str, Any] | object) -> None:
        if value is not None and not isinstance(value, Mapping):
            LOGGER.warning("scopetel: set_user needs a dict, got %s", type(value).__name__)
            return
        self._own().user = None if value is None else dict(value)

    def set_context(self, key: str, value: Mapping[str, Any] | object) -> None:
        if value is not None and not isinstance(value, Mapping):
            LOGGER.warning("scopetel: set_context(%r) needs a dict; stored as value", key)
            value = {"value": value}
        contexts = self._own().contexts
        if value is None:
            contexts.pop(str(key), None)
        else:
            contexts[str(key)] = dict(value)

    def remove_context(self, key: str) -> None:
        self._own().contexts.pop(key, None)

    def set_extra(self, key: str, value: object) -> None:
        self._own().extras[str(key)] = value

    def remove_extra(self, key: str) -> None:
        self._own().extras.pop(key, None)

    def set_level(self, value: str | None) -> None:
        if value is not None and value not in LEVELS:
            LOGGER.warning("scopetel: ignoring level %r; use one of %s", value, sorted(LEVELS))
            return
        self._own().level = value

    @property
    def level(self) -> str | None:
        return self._data.level

    @property
    def fingerprint(self) -> list[str] | None:
        return self._data.fingerprint

    @fingerprint.setter
    def fingerprint(self, value: Iterable[str] | None) -> None:
        self._own().fingerprint = None if value is None else [str(part) for part in value]

    @property
    def transaction(self) -> str | None:
        """The transaction name events captured under this scope carry."""
        return self._data.transaction_name

    def set_transaction_name(
        self, name: str, source: str | None = None, within: tuple[int, int] | None = None
    ) -> None:
        own = self._own()
        own.transaction_name = str(name)
        own.transaction_source = source or "custom"
        own.transaction_set = within

    def add_breadcrumb_data(self, crumb: Breadcrumb, max_breadcrumbs: int) -> None:
        """Append an already processed breadcrumb (see ``scopetel.add_breadcrumb``)."""
        own = self._own()
        if own.breadcrumbs.maxlen != max_breadcrumbs:
            own.breadcrumbs = deque(own.breadcrumbs, maxlen=max_breadcrumbs)
        own.breadcrumbs.append(crumb)

    def clear_breadcrumbs(self) -> None:
        self._own().breadcrumbs.clear()

    def add_event_processor(self, processor: EventProcessor) -> None:
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
    return value if isinstance(value, str) else str(value)
