"""``sentry_sdk.Hub``: deprecated in sentry_sdk 2.x, and working, over scopetel's scopes.

A ``Hub`` holds no "current" state of its own: its methods act on the scopes of the
current Context (``hub.scope`` is the isolation scope, ``hub.capture_message`` captures
with the global, isolation and current scopes), as sentry_sdk 2.x does. What a hub
has is a pair of scopes to enter:

* ``Hub(Hub.current)`` (a clone) forks the isolation and current scopes where it is made;
  ``Hub()`` or ``Hub(client)`` takes them as they are;
* ``with hub:`` makes that pair current in a new Context, with the hub itself, so that
  ``Hub.current`` inside the block is this hub; leaving the block restores the Context
  it replaced, in any order and from any thread, like every scopetel block.

``Hub.current`` outside any hub block is a hub over the current scopes; ``Hub.main`` is
the hub of the process-wide scopes. Making a hub, ``Hub.current`` and ``Hub.main`` warn
with ``SentryHubDeprecationWarning`` (a ``DeprecationWarning``), as in sentry_sdk.
"""

import logging
import warnings
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, Final, TypeVar

from scopetel import api
from scopetel._coerce import dropped
from scopetel._context import entries
from scopetel._context.keys import CURRENT_SCOPE, HUB, ISOLATION_SCOPE
from scopetel._context.scope import Scope

__all__ = ["Hub", "SentryHubDeprecationWarning"]

LOGGER: Final = logging.getLogger("scopetel")
_T = TypeVar("_T")


class SentryHubDeprecationWarning(DeprecationWarning):
    """Warned when a ``Hub`` is made or ``Hub.current``/``Hub.main`` is read."""

    MESSAGE: Final = (
        "sentry_sdk.Hub is deprecated (sentry_sdk 2.x): use the scopes instead "
        "(get_current_scope(), get_isolation_scope(), new_scope(), isolation_scope())"
    )

    def __init__(self, *args: object) -> None:
        super().__init__(self.MESSAGE)


class _HubMeta(type):
    @property
    def current(cls) -> "Hub":
        """The hub entered in this Context (``with hub:``), else one over its scopes."""
        warnings.warn(SentryHubDeprecationWarning(), stacklevel=2)
        hub = entries.current().get(HUB)
        return hub if isinstance(hub, Hub) else _quiet_hub(None, None)

    @property
    def main(cls) -> "Hub":
        """The hub of the process-wide scopes."""
        warnings.warn(SentryHubDeprecationWarning(), stacklevel=2)
        return MAIN_HUB


class Hub(metaclass=_HubMeta):
    """Deprecated: see the module docstring."""

    def __init__(self, client_or_hub: object = None, scope: Scope | None = None) -> None:
        warnings.warn(SentryHubDeprecationWarning(), stacklevel=2)
        self._setup(client_or_hub, scope)

    def _setup(self, client_or_hub: object, scope: object) -> None:
        given = scope if isinstance(scope, Scope) else None
        if scope is not None and given is None:
            dropped("Hub", scope, "is not a Scope; ignored:")
        if isinstance(client_or_hub, Hub):  # a clone: forks, made here
            self._isolation = given or api.get_isolation_scope().fork()
            self._current = api.get_current_scope().fork()
        else:
            if client_or_hub is not None and client_or_hub is not api.get_client():
                dropped("Hub", client_or_hub, "binds no client (init() makes the one); ignored:")
            self._isolation = given or api.get_isolation_scope()
            self._current = api.get_current_scope()
        self._last_event_id: str | None = None
        self._entries: list[entries.Entry] = []

    # -- entering ------------------------------------------------------------------------
    def __enter__(self) -> "Hub":
        values = {ISOLATION_SCOPE: self._isolation, CURRENT_SCOPE: self._current, HUB: self}
        self._entries.append(entries.enter(values))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        entries.leave_innermost(self._entries)

    def run(self, callback: Callable[[], _T]) -> _T:
        with self:
            return callback()

    # -- the client and the scopes -------------------------------------------------------
    @property
    def client(self) -> Any:
        """The active client, or None before ``init()``."""
        client = api.get_client()
        return client if client.is_active() else None

    @property
    def scope(self) -> Scope:
        return api.get_isolation_scope()

    def get_integration(self, name_or_class: Any) -> Any:
        return api.get_client().get_integration(name_or_class)

    def bind_client(self, new: object) -> None:
        dropped("Hub.bind_client", new, "binds no client (init() makes the one); ignored:")

    def push_scope(
        self, callback: api.ScopeCallback | None = None, continue_trace: bool = True
    ) -> api.ScopeManager | None:
        return api.push(callback)

    def pop_scope_unsafe(self) -> tuple[Any, Scope]:
        """Nothing to pop (use ``with push_scope()``); the client and the isolation scope."""
        return self.client, self.scope

    def configure_scope(
        self, callback: api.ScopeCallback | None = None, continue_trace: bool = True
    ) -> Any:
        return api.configure(callback)

    # -- captures ---------------------------------------------------------------------
    def capture_event(
        self, event: Any, hint: Any = None, scope: Any = None, **scope_kwargs: Any
    ) -> str | None:
        event_id = api.capture_event(event, hint, scope, **scope_kwargs)
        is_transaction = isinstance(event, Mapping) and event.get("type") == "transaction"
        return self._seen(event_id) if not is_transaction else event_id

    def capture_message(
        self, message: Any, level: Any = None, scope: Any = None, **scope_kwargs: Any
    ) -> str | None:
        return self._seen(api.capture_message(message, level, scope, **scope_kwargs))

    def capture_exception(
        self, error: Any = None, scope: Any = None, **scope_kwargs: Any
    ) -> str | None:
        return self._seen(api.capture_exception(error, scope, **scope_kwargs))

    def _seen(self, event_id: str | None) -> str | None:
        if event_id is not None:
            self._last_event_id = event_id
        return event_id

    def last_event_id(self) -> str | None:
        """Deprecated: the id of the last event captured through this hub."""
        LOGGER.debug("scopetel: Hub.last_event_id is deprecated: captures return the id")
        return self._last_event_id

    def add_breadcrumb(self, crumb: Any = None, hint: Any = None, **kwargs: Any) -> None:
        api.get_isolation_scope().add_breadcrumb(crumb, hint, **kwargs)

    # -- tracing -------------------------------------------------------------------------
    def start_span(self, instrumenter: str = "sentry", **kwargs: Any) -> Any:
        return api.get_current_scope().start_span(**kwargs)

    def start_transaction(
        self,
        transaction: Any = None,
        instrumenter: str = "sentry",
        custom_sampling_context: Any = None,
        **kwargs: Any,
    ) -> Any:
        return api.start_transaction(transaction, custom_sampling_context, **kwargs)

    def continue_trace(
        self,
        environ_or_headers: Any,
        op: str | None = None,
        name: str | None = None,
        source: str | None = None,
    ) -> Any:
        return api.continue_trace(environ_or_headers, op, name, source)

    def get_traceparent(self) -> str | None:
        return api.get_traceparent()

    def get_baggage(self) -> str | None:
        return api.get_baggage()

    def iter_trace_propagation_headers(self, span: Any = None) -> Iterator[tuple[str, str]]:
        """``sentry-trace`` and ``baggage`` for an outgoing request."""
        traceparent = span.to_traceparent() if span is not None else api.get_traceparent()
        baggage = span.to_baggage() if span is not None else api.get_baggage()
        if traceparent:
            yield "sentry-trace", traceparent
        if baggage:
            yield "baggage", baggage

    def trace_propagation_meta(self, span: Any = None) -> str:
        """``<meta>`` tags carrying the trace into an HTML page."""
        return "".join(
            f'<meta name="{name}" content="{value}">'
            for name, value in self.iter_trace_propagation_headers(span)
        )

    # -- sessions and flushing ------------------------------------------------------------
    def start_session(self, session_mode: str = "application") -> None:
        api.start_session(session_mode)

    def end_session(self) -> None:
        api.end_session()

    def stop_auto_session_tracking(self) -> None:
        api.end_session()

    def resume_auto_session_tracking(self) -> None:
        return None

    def flush(self, timeout: float | None = None, callback: object = None) -> None:
        api.get_client().flush(timeout)


def _quiet_hub(client_or_hub: object, scope: object) -> Hub:
    """A hub made without the deprecation warning (``Hub.current``, ``Hub.main``)."""
    hub = Hub.__new__(Hub)
    hub._setup(client_or_hub, scope)
    return hub


MAIN_HUB: Final = _quiet_hub(None, api.get_isolation_scope())
