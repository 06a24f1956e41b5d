"""``sentry_sdk.transport``: the ``Transport`` base class users subclass, ``HttpTransport``.

``init(transport=...)`` takes what sentry_sdk takes:

* a ``Transport`` subclass: made with the client's options as a dict (only with a DSN);
* a ``Transport`` instance: used as it is (with or without a DSN);
* a function ``f(event)``: called with each error event (deprecated, it warns);
* any other object with ``capture_envelope``: scopetel's own transport interface
  (``scopetel_exporter_sentry.transport.Transport``: wire envelopes, ``record_lost``).

A sentry_sdk-style transport receives :class:`scopetel.envelope.Envelope` objects,
``flush(timeout)`` and ``kill()``; what scopetel drops before the transport is reported
to its ``record_lost_event``. ``HttpTransport`` sends through scopetel's non-blocking
HTTP transport (a subclass may look at envelopes and call ``super().capture_envelope``);
``get_client().transport`` is one over the transport ``init()`` made for the DSN.
"""

import logging
import warnings
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any, Final

from scopetel_exporter_sentry import envelope as wire
from scopetel_exporter_sentry import transport as exporter

from scopetel._config.options import Options
from scopetel._setup.init import http_transport
from scopetel.envelope import Envelope, Item
from scopetel.utils import Dsn

__all__ = ["HttpTransport", "Transport", "client_transport"]

LOGGER: Final = logging.getLogger("scopetel")


class Transport:
    """Base class of sentry_sdk-style transports: implement ``capture_envelope``."""

    parsed_dsn: Dsn | None = None

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options = options
        dsn = options.get("dsn") if options else None
        self.parsed_dsn = Dsn(dsn, options.get("org_id")) if dsn and options else None

    def capture_envelope(self, envelope: Envelope) -> None:
        """Send ``envelope`` (subclasses do; this one drops it)."""

    def capture_event(self, event: dict[str, Any]) -> None:
        """Deprecated: ``capture_envelope`` of an envelope holding ``event``."""
        warnings.warn(
            "Transport.capture_event is deprecated: use capture_envelope",
            DeprecationWarning,
            stacklevel=2,
        )
        envelope = Envelope()
        envelope.add_event(event)
        self.capture_envelope(envelope)

    def flush(self, timeout: float, callback: object = None) -> None:
        """Wait up to ``timeout`` seconds for what was captured (this one: nothing)."""

    def kill(self) -> None:
        """Stop at once (this one: nothing to stop)."""

    def close(self, timeout: float) -> None:
        """At shutdown: ``flush(timeout)``, then ``kill()``."""
        self.flush(timeout)
        self.kill()

    def record_lost_event(
        self,
        reason: str,
        data_category: str | None = None,
        item: Item | None = None,
        *,
        quantity: int = 1,
    ) -> None:
        """Count something dropped before it was sent (this one: not counted)."""

    def is_healthy(self) -> bool:
        return True


class HttpTransport(Transport):
    """Sends to the DSN through scopetel's non-blocking transport (queue, threads, retries,
    rate limits, client reports)."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__(options)
        known = {field.name for field in fields(Options)}
        given = {key: value for key, value in options.items() if key in known}
        self._wire = http_transport(replace(Options(), **given))

    @classmethod
    def over(cls, transport: exporter.HttpTransport) -> "HttpTransport":
        """The sentry_sdk view of a transport scopetel made."""
        view = cls.__new__(cls)
        Transport.__init__(view, None)
        view._wire = transport
        return view

    def capture_envelope(self, envelope: Envelope | wire.Envelope) -> None:
        if isinstance(envelope, Envelope):
            envelope = envelope.to_wire()
        self._wire.capture_envelope(envelope)

    def flush(self, timeout: float, callback: object = None) -> None:
        self._wire.flush(timeout)

    def kill(self) -> None:
        self._wire.close(0.0)

    def close(self, timeout: float) -> None:
        self._wire.close(timeout)

    def record_lost_event(
        self,
        reason: str,
        data_category: str | None = None,
        item: Item | None = None,
        *,
        quantity: int = 1,
    ) -> None:
        if item is not None:
            data_category, quantity = item.data_category, 1
        self._wire.record_lost(reason, data_category or "default", quantity)


class _FunctionTransport(Transport):
    """A function ``f(event)`` given as the transport: called with each error event."""

    def __init__(self, function: Callable[[dict[str, Any]], object]) -> None:
        super().__init__(None)
        self._function = function

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self._function(event)


class UserTransport:
    """A sentry_sdk-style transport as the client's transport (scopetel's interface)."""

    __slots__ = ("user",)

    def __init__(self, user: Any) -> None:
        self.user = user  # a Transport, or any class with capture_envelope(Envelope)

    def capture_envelope(self, envelope: wire.Envelope) -> None:
        user = self.user
        if type(user).capture_envelope is HttpTransport.capture_envelope:
            user.capture_envelope(envelope)  # no subclass looks at it: sent as it is
        else:
            user.capture_envelope(Envelope.from_wire(envelope))

    def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
        try:
            self.user.record_lost_event(reason, data_category=category, quantity=quantity)
        except Exception:
            LOGGER.warning("scopetel: the transport's record_lost_event raised", exc_info=True)

    def flush(self, timeout: float) -> bool:
        try:
            self.user.flush(timeout)
        except Exception:
            LOGGER.warning("scopetel: the transport's flush raised", exc_info=True)
        return True

    def close(self, timeout: float) -> None:
        user = self.user
        try:
            if isinstance(user, Transport):
                user.close(timeout)
            else:
                user.flush(timeout)
                user.kill()
        except Exception:
            LOGGER.warning("scopetel: the transport raised while closing", exc_info=True)


def client_transport(options: Options) -> Options:
    """``options`` with ``transport`` as the client uses it (see the module docstring)."""
    given = options.transport
    if given is None:
        return options
    if isinstance(given, Transport):
        user: Any = given
    elif isinstance(given, type):  # made only with a DSN, as sentry_sdk does
        as_dict = {f.name: getattr(options, f.name) for f in fields(options)}
        user = given(as_dict) if options.dsn else None
    elif callable(getattr(given, "capture_envelope", None)):
        return options  # scopetel's own interface
    else:
        warnings.warn(
            "function transports are deprecated: give a Transport subclass or instance",
            DeprecationWarning,
            stacklevel=3,
        )
        user = _FunctionTransport(given)
    return replace(options, transport=None if user is None else UserTransport(user))


def user_transport(transport: object) -> object:
    """What ``get_client().transport`` shows of the client's transport."""
    if isinstance(transport, UserTransport):
        return transport.user
    if isinstance(transport, exporter.HttpTransport):
        return HttpTransport.over(transport)
    return transport
