"""``sentry_sdk.api``: the top-level functions, and sentry_sdk 1.x's scope functions.

Everything ``import sentry_sdk`` offers as a function lives here (``scopetel`` re-exports
it). ``configure_scope()`` and ``push_scope()`` are deprecated in sentry_sdk 2.x and
warn as it does (``DeprecationWarning``), and work:

* ``configure_scope()`` gives the isolation scope (``with configure_scope() as scope:``,
  or ``configure_scope(callback)``): what is set on it stays, as with ``set_tag``.
* ``push_scope()`` forks the isolation scope for a ``with`` block (or for the duration of
  ``push_scope(callback)``): captures inside it carry its data, nothing stays after it.
  The fork is current in a new Context, left like every scopetel block (in any order,
  from any thread, without raising).
"""

import asyncio
import warnings
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Final

from scopetel._api import (
    add_attachment,
    add_breadcrumb,
    capture_event,
    capture_exception,
    capture_message,
    end_session,
    is_initialized,
    last_event_id,
    set_context,
    set_extra,
    set_level,
    set_measurement,
    set_tag,
    set_tags,
    set_transaction_name,
    set_user,
    start_session,
)
from scopetel._client_view import get_client
from scopetel._coerce import dropped, pairs, text
from scopetel._context import entries
from scopetel._context.active_scopes import (
    get_current_scope,
    get_global_scope,
    get_isolation_scope,
    isolation_scope,
    isolation_scope_in,
    new_scope,
    use_isolation_scope,
    use_scope,
)
from scopetel._context.keys import ISOLATION_SCOPE
from scopetel._context.scope import Scope
from scopetel._init import init
from scopetel._setup.init import flush
from scopetel._tracing.trace_identity import get_baggage, get_traceparent
from scopetel._tracing.transaction import (
    continue_trace,
    get_current_span,
    start_span,
    start_transaction,
)
from scopetel.crons import monitor
from scopetel.tracing import trace

__all__ = [
    "add_attachment",
    "add_breadcrumb",
    "capture_event",
    "capture_exception",
    "capture_message",
    "configure_scope",
    "continue_trace",
    "end_session",
    "flush",
    "flush_async",
    "get_baggage",
    "get_client",
    "get_current_scope",
    "get_current_span",
    "get_global_scope",
    "get_isolation_scope",
    "get_traceparent",
    "init",
    "is_initialized",
    "isolation_scope",
    "last_event_id",
    "monitor",
    "new_scope",
    "push_scope",
    "remove_attribute",
    "set_attribute",
    "set_attributes",
    "set_context",
    "set_extra",
    "set_level",
    "set_measurement",
    "set_tag",
    "set_tags",
    "set_transaction_name",
    "set_user",
    "start_session",
    "start_span",
    "start_transaction",
    "trace",
    "update_current_span",
    "use_isolation_scope",
    "use_scope",
]

CONFIGURE_SCOPE_DEPRECATED: Final = (
    "sentry_sdk.configure_scope is deprecated (sentry_sdk 2.x): set data on "
    "sentry_sdk.get_isolation_scope() (or with set_tag, set_user …) instead"
)
PUSH_SCOPE_DEPRECATED: Final = (
    "sentry_sdk.push_scope is deprecated (sentry_sdk 2.x): use "
    "'with sentry_sdk.new_scope() as scope:' (or isolation_scope()) instead"
)
ScopeCallback = Callable[[Scope], object]


class ScopeManager:
    """``push_scope()``: a fork of the isolation scope, current for a ``with`` block."""

    __slots__ = ("_entries",)

    def __init__(self, hub: object = None) -> None:
        self._entries: list[entries.Entry] = []  # one per (nested) entry

    def __enter__(self) -> Scope:
        ctx = entries.current()
        fork = isolation_scope_in(ctx).fork()
        self._entries.append(entries.enter({ISOLATION_SCOPE: fork}, current=ctx))
        return fork

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        entries.leave_innermost(self._entries)


class _Configured:
    """``with configure_scope() as scope:``: the isolation scope, nothing to undo."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def __enter__(self) -> Scope:
        return self._scope

    def __exit__(self, *exc_info: object) -> None:
        return None


def configure_scope(callback: ScopeCallback | None = None) -> _Configured | None:
    """Deprecated: the isolation scope, to a callback or as a ``with`` block."""
    warnings.warn(CONFIGURE_SCOPE_DEPRECATED, DeprecationWarning, stacklevel=2)
    return configure(callback)


def configure(callback: ScopeCallback | None) -> _Configured | None:
    """``configure_scope`` without the warning (``Hub.configure_scope``)."""
    scope = get_isolation_scope()
    given: object = callback  # callers pass whatever they got
    if given is None:
        return _Configured(scope)
    if callable(given):
        given(scope)
    else:
        dropped("configure_scope", callback, "is not callable; ignored:")
    return None


def push_scope(callback: ScopeCallback | None = None) -> ScopeManager | None:
    """Deprecated: a fork of the isolation scope, for a callback or a ``with`` block."""
    warnings.warn(PUSH_SCOPE_DEPRECATED, DeprecationWarning, stacklevel=2)
    return push(callback)


def push(callback: ScopeCallback | None) -> ScopeManager | None:
    """``push_scope`` without the warning (``Hub.push_scope``)."""
    given: object = callback  # callers pass whatever they got
    if given is None:
        return ScopeManager()
    if not callable(given):
        dropped("push_scope", given, "is not callable; ignored:")
        return None
    with ScopeManager() as scope:
        given(scope)
    return None


async def flush_async(timeout: float | None = None, callback: object = None) -> None:
    """``flush`` for asyncio code: waits in a worker thread, never blocking the loop."""
    await asyncio.get_running_loop().run_in_executor(None, flush, timeout)


def set_attribute(attribute: str, value: object) -> None:
    """An attribute of the logs, metrics and streamed spans of the isolation scope."""
    get_isolation_scope().set_attribute(attribute, value)


def set_attributes(attributes: Mapping[str, object]) -> None:
    get_isolation_scope().set_attributes(attributes)


def remove_attribute(attribute: str) -> None:
    get_isolation_scope().remove_attribute(attribute)


def update_current_span(
    op: str | None = None,
    name: str | None = None,
    attributes: Mapping[str, object] | None = None,
    data: Mapping[str, object] | None = None,
) -> None:
    """Change the active span's op, name and attributes (nothing when none is active).

    ``data`` is sentry_sdk's deprecated spelling of ``attributes`` (it warns); given
    both, sentry_sdk raises ``ValueError``: scopetel uses ``attributes`` and says so in
    a debug line, as it never raises at runtime.
    """
    span = get_current_span()
    if span is None:
        return
    if op is not None:
        span.op = op
    if name is not None:
        span.name = name
    if data is not None:
        warnings.warn(
            "update_current_span(data=...) is deprecated: use attributes=",
            DeprecationWarning,
            stacklevel=2,
        )
        if attributes is not None:
            dropped("update_current_span", data, "data and attributes given; data ignored:")
        else:
            attributes = data
    for key, value in pairs(attributes, "update_current_span attributes"):
        span.set_data(text(key, "attribute key"), value)
