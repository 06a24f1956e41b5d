"""``get_client()``: the active client as sentry_sdk's ``Client`` shows it.

Code written for sentry_sdk inspects the client (``is_active()``, ``options``, ``dsn``,
``get_integration``) and flushes or closes it. Before ``init()`` the view is of no
client: inactive, empty options, every call a no-op.
"""

from dataclasses import fields
from typing import Any

from scopetel._api import capture_event as _capture_event
from scopetel._client import Client
from scopetel._client import get_client as _active_client
from scopetel._context.scope import Event, Hint, Scope
from scopetel._setup import init as _setup
from scopetel._setup.spotlight import SpotlightTee
from scopetel.integrations._base import Integration
from scopetel.integrations._registry import enabled_integrations, get_integration
from scopetel.transport import user_transport


class ClientView:
    """A view of one client (see the module docstring)."""

    __slots__ = ("_client", "_transport")

    def __init__(self, client: Client | None) -> None:
        self._client = client
        self._transport: tuple[object, object] | None = None  # (the client's, as shown)

    def is_active(self) -> bool:
        """Whether ``init()`` made this client (even without a DSN, as sentry_sdk)."""
        return self._client is not None

    @property
    def options(self) -> dict[str, Any]:
        """The resolved options, by name (a copy)."""
        if self._client is None:
            return {}
        options = self._client.options
        values = {field.name: getattr(options, field.name) for field in fields(options)}
        values["transport"] = user_transport(values["transport"])
        return values

    @property
    def dsn(self) -> str | None:
        return None if self._client is None else self._client.options.dsn

    @property
    def transport(self) -> Any:
        """The transport as sentry_sdk shows it: the one given to ``init()``, or an
        ``HttpTransport`` (``scopetel.transport``) over the one made for the DSN."""
        if self._client is None or self._client.transport is None:
            return None
        if self._transport is None or self._transport[0] is not self._client.transport:
            made = self._client.transport
            primary = made.primary if isinstance(made, SpotlightTee) else made
            self._transport = (made, user_transport(primary))
        return self._transport[1]

    @property
    def integrations(self) -> dict[str, Integration]:
        return dict(enabled_integrations()) if self._is_current() else {}

    def should_send_default_pii(self) -> bool:
        return self._client is not None and self._client.options.send_default_pii

    def get_integration(self, name_or_class: str | type[Integration]) -> Integration | None:
        """The enabled integration with this identifier (or of this class), or None."""
        return get_integration(name_or_class) if self._is_current() else None

    def capture_event(
        self, event: Event, hint: Hint | None = None, scope: Scope | None = None
    ) -> str | None:
        return _capture_event(event, hint, scope) if self._is_current() else None

    def flush(self, timeout: float | None = None, callback: Any = None) -> None:
        """Send what is finished; wait at most ``timeout`` s (default: shutdown_timeout)."""
        if self._is_current():
            _setup.flush(timeout)
        elif self._client is not None:
            self._client.flush(
                self._client.options.shutdown_timeout if timeout is None else timeout
            )

    def close(self, timeout: float | None = None, callback: Any = None) -> None:
        """Flush, then shut the transport down: nothing is sent by this client afterwards."""
        client = self._client
        if client is None or client.transport is None:
            return
        self.flush(timeout)
        client.close(client.options.shutdown_timeout if timeout is None else timeout)
        client.transport = None

    def _is_current(self) -> bool:
        return self._client is not None and self._client is _active_client()

    def __enter__(self) -> "ClientView":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<ClientView active={self.is_active()} dsn={self.dsn is not None}>"


_view = ClientView(None)


def get_client() -> ClientView:
    """The active client (a no-op client before ``init()``), as sentry_sdk 2.x returns it."""
    global _view
    client = _active_client()
    if _view._client is not client:
        _view = ClientView(client)
    return _view
