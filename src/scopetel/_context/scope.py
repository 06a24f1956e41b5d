"""Sentry-style scopes: bags of event data, forked copy-on-write.

A Scope is mutable, like sentry_sdk's: ``scope.set_tag`` changes it for everything
that holds this scope. *Which* scope is current is not mutable: it is a value in the
OpenTelemetry Context (see ``active_scopes.py``), so a fork made for a request, a task
or a span is seen only by the code running in that Context.

The members of sentry_sdk's ``Scope`` that need the layers above (the client, spans,
captures: ``Scope.get_client()``, ``scope.span``, ``scope.start_span()`` …) go through
``scope_services.SERVICES``, which ``scopetel._scope_services`` installs.
"""

import logging
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol

from scopetel._coerce import dropped, optional_text, pairs, text
from scopetel._context import scope_services as _services
from scopetel._context.scope_data import (
    DEFAULT_MAX_BREADCRUMBS,
    Breadcrumb,
    ErrorProcessor,
    Event,
    EventProcessor,
    Hint,
    ScopeData,
    attribute_value,
    fingerprint_parts,
    plain,
    plain_dict,
    tag_value,
)
from scopetel._context.scope_services import ServicedScope
from scopetel._semconv.relay_fields import LEVELS, level
from scopetel.attachments import Attachment

__all__ = [
    "DEFAULT_MAX_BREADCRUMBS",
    "Breadcrumb",
    "Event",
    "EventProcessor",
    "Hint",
    "Scope",
    "ScopeData",
    "fingerprint_parts",
    "plain",
    "plain_dict",
]

LOGGER: Final = logging.getLogger("scopetel")
TRACE_CONTEXT: Final = "trace"  # contexts.trace: built from the active span, not set
USER_SETTER_DEPRECATED: Final = (
    "The `Scope.user` setter is deprecated in favor of `Scope.set_user()`."
)


class Scope(ServicedScope):
    """Tags, user, contexts, extras, level, breadcrumbs … applied to captured events."""

    __slots__ = (
        "_data",
        "_shared",
        "captured_event_id",
        "kind",
        "span_id",
        "trace_id",
    )

    def __init__(self, kind: str = "current", data: ScopeData | None = None) -> None:
        self.kind = kind  # "global", "isolation" or "current"
        self._data = ScopeData() if data is None else data
        self._shared = data is not None
        self.captured_event_id: str | None = None  # of the last event of this isolation scope
        self.entered_span: object | None = None  # the span whose entry made this scope
        self.trace_id: int | None = None  # links span-less events of this isolation scope
        self.span_id: int | None = None  # ... and what they propagate as their parent

    def fork(self) -> "Scope":
        """A copy-on-write child: changes on either side are invisible to the other."""
        self._shared = True
        child = Scope.__new__(Scope)  # skips __init__: this is on every span and scope entry
        child.kind = self.kind
        child._data = self._data
        child._shared = True
        child.captured_event_id = None
        child.entered_span = self.entered_span
        child.trace_id = None
        child.span_id = None
        return child

    def snapshot(self) -> "Scope":
        """This scope as it is now, copy-on-write: what is built from the snapshot later
        (a transaction, off the thread that ended it) does not see later writes."""
        copy = self.fork()
        copy.captured_event_id = self.captured_event_id
        copy.trace_id = self.trace_id
        copy.span_id = self.span_id
        return copy

    # -- the active scopes and client, as sentry_sdk's classmethods ----------------------
    @classmethod
    def get_current_scope(cls) -> "Scope":
        return _active("current")

    @classmethod
    def get_isolation_scope(cls) -> "Scope":
        return _active("isolation")

    @classmethod
    def get_global_scope(cls) -> "Scope":
        return _active("global")

    @classmethod
    def get_client(cls) -> Any:
        """The active client (a no-op client before ``init()``)."""
        return _services.SERVICES.client()

    @classmethod
    def last_event_id(cls) -> str | None:
        """The id of the last event captured in the isolation scope."""
        return _active("isolation").captured_event_id

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
        self._own().tags[name] = value if type(value) is str else tag_value(value)

    def set_tags(self, tags: Mapping[str, object]) -> None:
        given: object = tags  # callers pass whatever they got
        if given is None:
            dropped("set_tags", given, "needs a dict; ignored:")
            return
        own = self._own().tags
        for key, value in pairs(tags, "set_tags"):
            own[text(key, "set_tags key")] = tag_value(value)

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

    @level.setter
    def level(self, value: str | None) -> None:
        LOGGER.debug("scopetel: assigning scope.level is deprecated: use set_level()")
        self.set_level(value)

    @property
    def user(self) -> dict[str, Any] | None:
        return self._data.user

    @user.setter
    def user(self, value: Mapping[str, Any] | None) -> None:
        warnings.warn(USER_SETTER_DEPRECATED, DeprecationWarning, stacklevel=2)
        self.set_user(value)

    @property
    def fingerprint(self) -> list[str] | None:
        return self._data.fingerprint

    @fingerprint.setter
    def fingerprint(self, value: Iterable[str] | None) -> None:
        parts = fingerprint_parts(value)
        if parts is not None or value is None:
            self._own().fingerprint = parts

    @property
    def transaction(self) -> Any:
        """The transaction (root span) of this scope's span, as in sentry_sdk 2.x."""
        return _services.SERVICES.transaction(self)

    @transaction.setter
    def transaction(self, value: str) -> None:
        """Renames the running transaction (deprecated: ``set_transaction_name``)."""
        LOGGER.debug(
            "scopetel: assigning scope.transaction is deprecated: use set_transaction_name"
        )
        name = text(value, "scope.transaction")
        own = self._own()
        own.transaction_name = name
        own.transaction_set = _services.SERVICES.rename_transaction(self, name, None)

    def set_transaction_name(self, name: str, source: str | None = None) -> None:
        """Name the events of this scope, and rename the transaction of its span, if any."""
        name = text(name, "set_transaction_name")
        kind = optional_text(source, "transaction source") or None
        self._name_transaction(name, kind, _services.SERVICES.rename_transaction(self, name, kind))

    def name_transaction_within(
        self, name: str, source: str, within: tuple[int, int] | None
    ) -> None:
        """Name the events of this scope and the transaction of trace ``within[0]`` open at
        ``within[1]`` (ns): for instrumentations whose span this scope does not hold."""
        kind = optional_text(source, "transaction source") or None
        self._name_transaction(text(name, "set_transaction_name"), kind, within)

    def _name_transaction(
        self, name: str, source: str | None, marker: tuple[int, int] | None
    ) -> None:
        own = self._own()
        own.transaction_name = name
        own.transaction_source = source
        own.transaction_set = marker

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

    def add_error_processor(
        self, func: Callable[[Event, Any], Event | None], cls: type[BaseException] | None = None
    ) -> None:
        """Run ``func(event, exc_info)`` on error events (of exceptions of ``cls`` only)."""
        given: object = func  # callers pass whatever they got
        if not callable(given):
            dropped("add_error_processor", given, "not callable; ignored:")
            return
        self._own().event_processors.append(ErrorProcessor(func, cls))

    def set_attribute(self, attribute: str, value: object) -> None:
        """An attribute of the logs, metrics and streamed spans captured in this scope."""
        self._own().attributes[text(attribute, "attribute")] = attribute_value(value)

    def set_attributes(self, attributes: Mapping[str, object]) -> None:
        for key, value in pairs(attributes, "set_attributes"):
            self.set_attribute(text(key, "attribute"), value)

    def remove_attribute(self, attribute: str) -> None:
        self._own().attributes.pop(text(attribute, "attribute"), None)

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


def _active(kind: str) -> Scope:
    """The active scope of this kind (``Scope.get_current_scope()`` …)."""
    scope = _services.SERVICES.scope(kind)
    return scope if isinstance(scope, Scope) else Scope(kind)


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
