"""sentry_sdk's ``Scope`` members that reach above the scopes, installed on import.

``Scope`` lives in ``_context``, below the client, the span facades and the capture
pipeline; its members ``get_client()``, ``span``, ``transaction``, ``start_span()``,
``capture_message()`` … call :data:`scopetel._context.scope_services.SERVICES`, which
this module sets (``scopetel`` imports it).

What a scope's span is: where the scope is the current scope of the current Context,
the Context's active span (ours or any instrumentation's); elsewhere, the span whose
entry made the scope (``Scope.entered_span``). Setting ``scope.span`` where the scope
is current makes that span active in a new Context, which stays until the block that
made the scope current ends (the Context it replaced is then restored, as for any exit).
"""

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.trace import INVALID_SPAN

from scopetel import _api
from scopetel._client_view import get_client
from scopetel._coerce import dropped
from scopetel._context import entries, scope_services
from scopetel._context.active_scopes import (
    current_scope_in,
    get_current_scope,
    get_global_scope,
    get_isolation_scope,
)
from scopetel._context.keys import SPAN, SPAN_FACADE
from scopetel._context.scope import Scope
from scopetel._context.scope_services import ServicedScope
from scopetel._tracing import trace_identity
from scopetel._tracing.span import Span
from scopetel._tracing.transaction import (
    Transaction,
    get_current_span,
    start_span,
    start_transaction,
)


class Baggage(str):
    """``Scope.get_baggage()``: the header value, with sentry_sdk's ``serialize()``."""

    __slots__ = ()

    def serialize(self, include_third_party: bool = False) -> str:
        return str(self)


class _Services:
    """The implementation of ``scope_services.ScopeServices``."""

    def scope(self, kind: str) -> Scope:
        if kind == "global":
            return get_global_scope()
        return get_isolation_scope() if kind == "isolation" else get_current_scope()

    def client(self) -> Any:
        return get_client()

    def add_breadcrumb(
        self, scope: ServicedScope, crumb: object, hint: object, kwargs: dict[str, Any]
    ) -> None:
        if isinstance(scope, Scope):
            _api.add_breadcrumb_to(scope, crumb, hint, kwargs)

    def span(self, scope: ServicedScope) -> Span | None:
        if scope is current_scope_in(entries.current()):
            return get_current_span()
        span = scope.entered_span
        return span if isinstance(span, Span) else None

    def set_span(self, scope: ServicedScope, span: object) -> None:
        if span is not None and not isinstance(span, Span):
            dropped("scope.span", span, "is not a Span; ignored:")
            return
        if isinstance(span, Transaction):
            span.start()
        scope.entered_span = span
        ctx = entries.current()
        if scope is current_scope_in(ctx):  # the Context keeps its entry: exits restore
            otel = INVALID_SPAN if span is None else span.otel_span
            otel_context.attach(Context({**ctx, SPAN: otel, SPAN_FACADE: span}))

    def transaction(self, scope: ServicedScope) -> Span | None:
        span = self.span(scope)
        if span is None:
            return None
        root = span.containing_transaction
        return span if root is None and span.is_local_root else root

    def rename_transaction(
        self, scope: ServicedScope, name: str, source: str | None
    ) -> tuple[int, int] | None:
        return _api.rename_transaction(self.span(scope), name, source)

    def start_transaction(
        self, transaction: object, custom_sampling_context: object, kwargs: dict[str, Any]
    ) -> Transaction:
        # start_transaction accepts anything, and says what it drops
        given: Any = transaction
        given_context: Any = custom_sampling_context
        return start_transaction(given, given_context, **kwargs)

    def start_span(self, scope: ServicedScope, kwargs: dict[str, Any]) -> Span:
        parent = None if scope is current_scope_in(entries.current()) else self.span(scope)
        if parent is None:
            return start_span(**kwargs)
        return parent.start_child(**kwargs)

    def traceparent(self, scope: ServicedScope) -> str | None:
        span = None if scope is current_scope_in(entries.current()) else self.span(scope)
        return trace_identity.get_traceparent() if span is None else span.to_traceparent()

    def baggage(self, scope: ServicedScope) -> Baggage | None:
        span = None if scope is current_scope_in(entries.current()) else self.span(scope)
        value = trace_identity.get_baggage() if span is None else span.to_baggage()
        return None if value is None else Baggage(value)

    def capture(
        self,
        scope: ServicedScope,
        kind: str,
        args: tuple[Any, ...],
        extra: object,
        kwargs: dict[str, Any],
    ) -> str | None:
        active = (get_current_scope(), get_isolation_scope(), get_global_scope())
        if extra is None and isinstance(scope, Scope) and not any(s is scope for s in active):
            extra = scope  # a scope held aside adds its data, as in sentry_sdk
        given: Any = extra  # the capture functions drop what is not a Scope
        if kind == "event":
            return _api.capture_event(args[0], args[1], given, **kwargs)
        if kind == "message":
            return _api.capture_message(args[0], args[1], given, **kwargs)
        return _api.capture_exception(args[0], given, **kwargs)


scope_services.SERVICES = _Services()
