"""What Flask tells a request being served: its route or endpoint, its user, its errors.

Handlers of Flask's own signals (``request_started``, ``got_request_exception``,
``request_finished``), connected for every application. They act on the request scopetel's
WSGI layer serves (``scopetel.instrumentation.current_request``); a request served
without it is left alone.
"""

import sys
from collections.abc import Callable
from typing import Any, Final

from scopetel.instrumentation import ServerRequest, current_request, guarded

URL: Final = "url"
ENDPOINT: Final = "endpoint"
STYLES: Final = (URL, ENDPOINT)

UserGetter = Callable[[], dict[str, Any] | None]


class Naming:
    """How transactions are named: ``url`` (the url rule, source ``route``, the
    default) or ``endpoint`` (``posts.show``, source ``component``, sentry_sdk's)."""

    style = URL


@guarded(None)
def on_request_started(sender: Any, **_: Any) -> None:
    state = current_request()
    if state is None:
        return
    from flask import request

    rule = request.url_rule
    if rule is not None:
        state.set_route(str(rule.rule))
        if Naming.style == ENDPOINT and request.endpoint:
            state.set_transaction_name(str(request.endpoint), "component")
    if sys.modules.get("flask_login") is not None:
        state.user = _login_user_getter()


@guarded(None)
def on_request_exception(sender: Any, exception: Any = None, **_: Any) -> None:
    """An exception a view raised that Flask turns into a 500 response: report it as
    unhandled (mechanism ``flask``) before Flask logs it."""
    state = current_request()
    if state is None or not isinstance(exception, Exception):
        return
    _remember_user(state)
    state.capture_exception(exception)


@guarded(None)
def on_request_finished(sender: Any, **_: Any) -> None:
    state = current_request()
    if state is not None:
        _remember_user(state)


def _remember_user(state: ServerRequest) -> None:
    """Read the user while Flask's request context is active (the transaction is built
    after it)."""
    getter = state.user
    if getter is not None:
        getter()


def _login_user_getter() -> UserGetter:
    """Flask-Login's ``current_user`` (``id``, and ``username``/``email`` if it has
    them), read while the request is active and remembered for later; only asked with
    ``send_default_pii``."""
    known: dict[str, Any] = {}

    def get() -> dict[str, Any] | None:
        from flask import has_request_context

        if has_request_context():
            known["user"] = _current_login_user()
        return known.get("user")

    return get


def _current_login_user() -> dict[str, Any] | None:
    login = sys.modules.get("flask_login")
    user = getattr(login, "current_user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    found: dict[str, Any] = {}
    get_id = getattr(user, "get_id", None)
    identity = get_id() if callable(get_id) else None
    if identity is not None:
        found["id"] = str(identity)
    for field in ("username", "email"):
        value = getattr(user, field, None)
        if isinstance(value, str) and value:
            found[field] = value
    return found or None
