"""Django Channels consumers: an isolation scope per connection, a fork of it per message.

Channels runs every connection of a consumer (a WebSocket, a background worker's
channel) as one long task. The connection gets its own isolation scope, whatever server
runs it (uvicorn, daphne, Channels' test communicator). The messages it handles are
dispatched one at a time in that task; each runs in a fork of the connection's scope, so
tags, breadcrumbs or a user set while handling one message never reach the events of the
next. Except the connect message: what ``connect()`` sets (the authenticated user, say)
is connection state, and stays on the connection's scope for every later message.

An exception a handler lets escape ends the connection: it is reported as unhandled
(mechanism ``channels``) and re-raised for the server.
"""

import functools
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any, Final

from scopetel import isolation_scope
from scopetel.instrumentation import capture_unhandled, report_internal_error

MODULE: Final = "channels.consumer"
MECHANISM: Final = "channels"
_CONNECT_MESSAGES: Final = frozenset({"websocket.connect"})
_PATCHED: Final = "_scopetel_original_call"

Message = dict[str, Any]
Dispatch = Callable[[Message], Awaitable[None]]


def _per_message(dispatch: Dispatch) -> Dispatch:
    """``dispatch`` with every message but the connect message in a fork of the scope."""

    @functools.wraps(dispatch)
    async def dispatch_in_fork(message: Message) -> None:
        if isinstance(message, dict) and message.get("type") in _CONNECT_MESSAGES:
            await dispatch(message)
            return
        with isolation_scope():
            await dispatch(message)

    return dispatch_in_fork


def patch(module: ModuleType) -> None:
    """Replace ``AsyncConsumer.__call__`` (once); SyncConsumer inherits it."""
    consumer = module.AsyncConsumer
    if _PATCHED in consumer.__dict__:
        return
    original = consumer.__dict__["__call__"]

    @functools.wraps(original)
    async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> None:
        with isolation_scope():  # the connection's
            try:
                self.dispatch = _per_message(self.dispatch)
            except Exception:
                report_internal_error("channels consumer dispatch")
            try:
                await original(self, scope, receive, send)
            except Exception as error:
                capture_unhandled(error, MECHANISM)
                raise

    setattr(consumer, _PATCHED, original)
    consumer.__call__ = __call__


def unpatch(module: ModuleType) -> None:
    consumer = module.AsyncConsumer
    original = consumer.__dict__.get(_PATCHED)
    if original is not None:
        consumer.__call__ = original
        delattr(consumer, _PATCHED)
