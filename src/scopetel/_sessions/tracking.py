"""Starting, updating and ending sessions: the behaviour of ``Scope.start_session``.

* **Application mode** (scripts, CLIs): ``init()`` with ``auto_session_tracking`` (the
  default) and a release starts one session on the process's isolation scope; it ends
  at exit (``crashed`` after an uncaught exception) and is sent as one ``session`` item.
* **Request mode** (servers, workers): each request or task gets a session on its own
  isolation scope (:func:`begin_request`/:func:`end_request`); ended sessions are
  counted per minute and sent as ``sessions`` aggregates. A server process (its first
  request, or :func:`serving_requests` from a server's instrumentor) gives up its
  application session: a server's health is its requests'.
* ``start_session()`` on the scope holding the automatic application session replaces
  it without sending it: the application manages its sessions itself (as it would
  with sentry_sdk, which starts none by itself).
* An error event captured under a session's scope counts an error; an unhandled one
  (``mechanism.handled`` false) marks it ``crashed``. Without a release nothing is sent.
* After ``fork()`` the child gives up the application session it inherited (the parent
  sends it) and counts its own requests.
"""

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any, Final

from scopetel_exporter_sentry.envelope import Envelope

from scopetel._client import Client, get_client, json_item
from scopetel._context import scope as _scope_module
from scopetel._context.active_scopes import get_isolation_scope
from scopetel._context.scope import Scope
from scopetel._internal_errors import guarded
from scopetel._sessions.flusher import Flusher
from scopetel._sessions.session import Session

LOGGER: Final = logging.getLogger("scopetel")
FLUSHER: Final = Flusher()
_application: dict[str, Any] = {"session": None, "pid": os.getpid(), "server": False}


def _enabled(client: Client | None) -> bool:
    """Automatic sessions: tracking on, something to send to, and a release to count for."""
    return (
        client is not None
        and client.sending
        and client.options.auto_session_tracking
        and bool(client.options.release)
    )


def _new_session(client: Client, scope: Scope, mode: str) -> Session | None:
    release = client.options.release
    if not release:
        LOGGER.debug("scopetel: no release set; no release-health session")
        return None
    session = Session(release, client.options.environment, mode)
    if mode == "application":  # request sessions are aggregated: no distinct id
        session.note_user(scope.data.user)
    return session


class _Hooks:
    """``Scope.start_session``/``end_session`` (sentry_sdk's semantics)."""

    @guarded(None)
    def start(self, scope: Scope, session_mode: str) -> None:
        automatic = _application["session"]
        if isinstance(automatic, Session) and scope.data.session is automatic:
            automatic.discarded = True  # sessions by hand replace the automatic one, unsent
            _application["session"] = None
        self.end(scope)
        client = get_client()
        if client is None or not client.sending:
            return
        mode = "request" if session_mode == "request" else "application"
        scope.set_session(_new_session(client, scope, mode))

    @guarded(None)
    def end(self, scope: Scope) -> None:
        session = scope.data.session
        if not isinstance(session, Session):
            return
        scope.set_session(None)
        if session.mode == "application":
            session.note_user(scope.data.user)
        _deliver(session)


_scope_module.SESSION_HOOKS = _Hooks()


def _deliver(session: Session) -> None:
    if session.discarded:
        return
    session.discarded = True  # ended once: a fork still holding it cannot send it again
    session.close()
    client = get_client()
    if client is None:
        return
    if session.mode == "request":
        FLUSHER.aggregates.add(session)
        FLUSHER.ensure_running()
    else:
        client.send(Envelope({}, [json_item("session", session.to_json())]))


# -- the web and task lifecycles (scopetel.instrumentation) ----------------------------
def begin_request(scope: Scope) -> bool:
    """Start a request-mode session on ``scope`` (a request's or task's own isolation
    scope) when ``auto_session_tracking`` is on; True when one was started."""
    client = get_client()
    if not _enabled(client):
        return False
    assert client is not None
    serving_requests()
    scope.set_session(_new_session(client, scope, "request"))
    return True


def end_request(scope: Scope) -> None:
    """End the session :func:`begin_request` started (marking it crashed or not)."""
    _scope_module.SESSION_HOOKS.end(scope)


@contextlib.contextmanager
def track_session(scope: Scope, session_mode: str = "request") -> Iterator[None]:
    """A session on ``scope`` for the block (sentry_sdk's ``track_session``)."""
    started = begin_request(scope) if session_mode == "request" else _start_if_enabled(scope)
    try:
        yield
    finally:
        if started:
            end_request(scope)


def _start_if_enabled(scope: Scope) -> bool:
    if not _enabled(get_client()):
        return False
    scope.start_session(session_mode="application")
    return True


def serving_requests() -> None:
    """This process is a server (or a worker's parent): it sends no application session.

    Server instrumentors call it when the server is imported (gunicorn's master never
    serves a request itself); the first request served calls it too.
    """
    _application["server"] = True
    session = _application["session"]
    if isinstance(session, Session) and not session.discarded:
        LOGGER.debug("scopetel: serving requests; the application session is not sent")
        session.discarded = True


# -- events ------------------------------------------------------------------------------
@guarded(None)
def note_event(event: Mapping[str, Any], scope: Scope | None = None) -> None:
    """Count an error event in the session of ``scope`` (default: the isolation scope)."""
    scope = scope or get_isolation_scope()
    session = scope.data.session
    if not isinstance(session, Session) or session.discarded:
        return
    exception = event.get("exception")
    values = exception.get("values") if isinstance(exception, Mapping) else None
    if not values or not isinstance(values, list):
        return
    crashed = any(
        isinstance(value, Mapping)
        and isinstance(value.get("mechanism"), Mapping)
        and value["mechanism"].get("handled") is False
        for value in values
    )
    session.note_error(crashed=crashed)
    if session.mode == "application":
        session.note_user(event.get("user") or scope.data.user)


# -- the process: init, flush, exit ------------------------------------------------------
@guarded(None)
def on_configure(client: Client) -> None:
    """In ``init()``, before ``client`` replaces the active one: the application session
    of this process, if it should have one (a previous one goes to the previous client)."""
    scope = get_isolation_scope()
    current = _application["session"]
    if isinstance(current, Session) and not current.discarded:
        if (
            _enabled(client)
            and current.release == client.options.release
            and current.environment == client.options.environment
        ):
            return  # the same application goes on under the new client
        if scope.data.session is current:
            scope.set_session(None)
        _deliver(current)
    _application["session"] = None
    if client.options.auto_session_tracking and not client.options.release:
        LOGGER.debug("scopetel: no release set: no release-health sessions are sent")
    if _enabled(client) and not _application["server"]:
        session = _new_session(client, scope, "application")
        scope.set_session(session)
        _application["session"] = session
        _application["pid"] = os.getpid()


def flush() -> None:
    FLUSHER.flush()


@guarded(None)
def on_shutdown() -> None:
    """At exit: end this process's application session (and one started by hand on the
    process's isolation scope, as sentry_sdk's atexit does), send the aggregates."""
    session = _application["session"]
    if isinstance(session, Session) and _application["pid"] == os.getpid():
        _deliver(session)
    get_isolation_scope().end_session()
    FLUSHER.flush()


def _forget_in_child() -> None:
    session = _application["session"]
    if isinstance(session, Session):
        session.discarded = True


os.register_at_fork(after_in_child=_forget_in_child)
