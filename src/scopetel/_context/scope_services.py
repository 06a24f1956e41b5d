"""The members of sentry_sdk's ``Scope`` that need the layers above ``_context``.

``Scope.get_client()``, ``scope.span``, ``scope.start_span()``, ``scope.capture_message()``
… reach the client, the tracing facades and the capture pipeline, which all sit above the
scopes. :class:`ServicedScope` (a base of ``Scope``) declares them and calls
:data:`SERVICES`, which ``scopetel._scope_services`` installs when scopetel is imported.
"""

from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast


class ServicedScope:
    """sentry_sdk's tracing and capture members of a scope (see the module docstring)."""

    __slots__ = ("entered_span",)

    entered_span: object | None  # the span whose entry made this scope (a fork) current

    @property
    def span(self) -> Any:
        """The active span where this scope is current (else the span it was made for)."""
        return SERVICES.span(self)

    @span.setter
    def span(self, span: Any) -> None:
        """Make ``span`` this scope's span: where the scope is current, the active span
        of this Context until the block that made the scope current ends."""
        SERVICES.set_span(self, span)

    def add_breadcrumb(
        self, crumb: Mapping[str, Any] | None = None, hint: Any = None, **kwargs: Any
    ) -> None:
        """Record a breadcrumb on this scope (through ``before_breadcrumb``)."""
        SERVICES.add_breadcrumb(self, crumb, hint, kwargs)

    def start_transaction(
        self,
        transaction: Any = None,
        instrumenter: str = "sentry",
        custom_sampling_context: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        return SERVICES.start_transaction(transaction, custom_sampling_context, kwargs)

    def start_span(self, instrumenter: str = "sentry", **kwargs: Any) -> Any:
        """A child of this scope's span (a new transaction when it has none)."""
        return SERVICES.start_span(self, kwargs)

    def get_traceparent(self, *args: Any, **kwargs: Any) -> str | None:
        return SERVICES.traceparent(self)

    def get_baggage(self, *args: Any, **kwargs: Any) -> Any:
        return SERVICES.baggage(self)

    def capture_event(
        self, event: Any, hint: Any = None, scope: Any = None, **scope_kwargs: Any
    ) -> str | None:
        return SERVICES.capture(self, "event", (event, hint), scope, scope_kwargs)

    def capture_message(
        self, message: Any, level: Any = None, scope: Any = None, **scope_kwargs: Any
    ) -> str | None:
        return SERVICES.capture(self, "message", (message, level), scope, scope_kwargs)

    def capture_exception(
        self, error: Any = None, scope: Any = None, **scope_kwargs: Any
    ) -> str | None:
        return SERVICES.capture(self, "exception", (error,), scope, scope_kwargs)


class ScopeServices(Protocol):
    """What :class:`ServicedScope` members do; see ``scopetel._scope_services``."""

    def scope(self, kind: str) -> Any: ...

    def client(self) -> Any: ...

    def add_breadcrumb(
        self, scope: ServicedScope, crumb: object, hint: object, kwargs: dict[str, Any]
    ) -> None: ...

    def span(self, scope: ServicedScope) -> Any: ...

    def set_span(self, scope: ServicedScope, span: object) -> None: ...

    def transaction(self, scope: ServicedScope) -> Any: ...

    def rename_transaction(
        self, scope: ServicedScope, name: str, source: str | None
    ) -> tuple[int, int] | None: ...

    def start_transaction(
        self, transaction: object, custom_sampling_context: object, kwargs: dict[str, Any]
    ) -> Any: ...

    def start_span(self, scope: ServicedScope, kwargs: dict[str, Any]) -> Any: ...

    def traceparent(self, scope: ServicedScope) -> str | None: ...

    def baggage(self, scope: ServicedScope) -> Any: ...

    def capture(
        self,
        scope: ServicedScope,
        kind: str,
        args: tuple[Any, ...],
        extra: object,
        kwargs: dict[str, Any],
    ) -> str | None: ...


class _Unset:
    """Before ``scopetel._scope_services`` is imported (importing scopetel imports it)."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


SERVICES: ScopeServices = cast(ScopeServices, _Unset())
"""Replaced by ``scopetel._scope_services`` when scopetel is imported."""
