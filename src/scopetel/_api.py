"""The module-level functions of ``scopetel``, named and shaped like ``sentry_sdk``'s."""

import contextvars
import logging
import sys
import time
from typing import Any, Final

from scopetel._client import Client, get_client
from scopetel._context.active_scopes import get_current_scope, get_global_scope, get_isolation_scope
from scopetel._context.scope import LEVELS, Scope
from scopetel._events import assembly as _events
from scopetel._events.exceptions import (
    exc_info_from,
    exceptions_from_error,
    mark_captured,
    was_captured,
)
from scopetel._events.stacktrace import frames_from_stack
from scopetel._internal_errors import guarded
from scopetel._semconv.sentry_attributes import SOURCE
from scopetel._tracing import trace_identity as _propagation
from scopetel._tracing.transaction import get_current_span

LOGGER: Final = logging.getLogger("scopetel")
_SCOPE_KWARGS = frozenset({"tags", "extras", "contexts", "user", "level", "fingerprint"})


def _capture_scopes(scope: Scope | None, scope_kwargs: dict[str, Any]) -> list[Scope]:
    scopes = [get_global_scope(), get_isolation_scope(), get_current_scope()]
    if scope is not None:
        scopes.append(scope)
    if scope_kwargs:
        unknown = set(scope_kwargs) - _SCOPE_KWARGS
        if unknown:
            _warn(f"ignoring unknown scope argument(s): {', '.join(sorted(unknown))}")
        extra = Scope("current")
        extra.set_tags(scope_kwargs.get("tags") or {})
        for key, value in (scope_kwargs.get("extras") or {}).items():
            extra.set_extra(key, value)
        for key, value in (scope_kwargs.get("contexts") or {}).items():
            extra.set_context(key, value)
        if "user" in scope_kwargs:
            extra.set_user(scope_kwargs["user"])
        if "level" in scope_kwargs:
            extra.set_level(scope_kwargs["level"])
        if "fingerprint" in scope_kwargs:
            extra.fingerprint = scope_kwargs["fingerprint"]
        scopes.append(extra)
    return scopes


def _trace_context() -> dict[str, Any]:
    span = get_current_span()
    if span is not None:
        trace: dict[str, Any] = {"trace_id": span.trace_id, "span_id": span.span_id}
        if span.parent_span_id:
            trace["parent_span_id"] = span.parent_span_id
        if span.op:
            trace["op"] = span.op
        return trace
    trace_id, span_id = _propagation.scope_trace_ids()
    return {"trace_id": f"{trace_id:032x}", "span_id": f"{span_id:016x}"}


@guarded(None)
def capture_event(
    event: dict[str, Any],
    hint: dict[str, Any] | None = None,
    scope: Scope | None = None,
    **scope_kwargs: Any,
) -> str | None:
    """Send an event dict (after scopes, processors and ``before_send``); its id."""
    client = get_client()
    if client is None or not client.sending:
        return None
    scopes = _capture_scopes(scope, scope_kwargs)
    trace = _trace_context()
    event_id = client.capture_event(dict(event), hint, scopes, trace)
    if event_id is not None:
        get_isolation_scope().last_event_id = event_id
    return event_id


@guarded(None)
def capture_exception(
    error: BaseException | tuple[Any, Any, Any] | None = None,
    scope: Scope | None = None,
    **scope_kwargs: Any,
) -> str | None:
    """Send an error event for ``error`` (default: the exception being handled)."""
    client = get_client()
    if client is None or not client.sending:
        return None
    exception = exc_info_from(error)
    if exception is None:
        return None
    event, hint = _exception_event(exception, client, "generic", handled=True)
    return capture_event(event, hint, scope, **scope_kwargs)


@guarded(None)
def capture_unhandled(
    error: BaseException,
    mechanism_type: str,
    *,
    contexts: dict[str, dict[str, Any]] | None = None,
    run_in: contextvars.Context | None = None,
    handled: bool = False,
) -> str | None:
    """Send ``error`` as an unhandled error event (``mechanism.handled = false``), once.

    The exception is marked, so that no other path (a server layer below, the logging
    instrumentation) reports it again. ``run_in``: the Context whose scopes and span the
    event belongs to (a copy of it is used, so it may be running elsewhere).
    ``handled``: an error the framework answered itself but is reported by its
    instrumentation all the same (a 5xx ``HTTPException``), ``mechanism.handled = true``.
    """
    if was_captured(error):
        return None
    client = get_client()
    if client is None or not client.sending:
        return None
    event, hint = _exception_event(error, client, mechanism_type, handled=handled)
    if contexts:
        event["contexts"] = contexts
    mark_captured(error)
    if run_in is not None:
        return run_in.copy().run(capture_event, event, hint)
    return capture_event(event, hint)


def _exception_event(
    error: BaseException, client: Client, mechanism_type: str, *, handled: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    values = exceptions_from_error(
        error, client.frame_options, mechanism_type=mechanism_type, handled=handled
    )
    event: dict[str, Any] = {"level": "error", "exception": {"values": values}}
    return event, {"exc_info": (type(error), error, error.__traceback__)}


@guarded(None)
def capture_message(
    message: str, level: str | None = None, scope: Scope | None = None, **scope_kwargs: Any
) -> str | None:
    """Send a message event."""
    client = get_client()
    if client is None or not client.sending:
        return None
    if level is not None and level not in LEVELS:
        _warn(f"capture_message: level {level!r} is not one of {sorted(LEVELS)}; using error")
        level = "error"
    event: dict[str, Any] = {"level": level or "info", "message": str(message)}
    if client.options.attach_stacktrace:
        frame = sys._getframe(1)
        frames = frames_from_stack(frame, client.frame_options)
        event["threads"] = {"values": [{"stacktrace": {"frames": frames}, "current": True}]}
    return capture_event(event, None, scope, **scope_kwargs)


def add_breadcrumb(
    crumb: dict[str, Any] | None = None, hint: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    """Record a breadcrumb on the isolation scope (through ``before_breadcrumb``)."""
    _add_breadcrumb(crumb, hint, kwargs)


@guarded(None)
def _add_breadcrumb(
    crumb: dict[str, Any] | None, hint: dict[str, Any] | None, kwargs: dict[str, Any]
) -> None:
    client = get_client()
    max_breadcrumbs = client.options.max_breadcrumbs if client is not None else 100
    if max_breadcrumbs == 0:
        return
    result: dict[str, Any] | None = _events.breadcrumb(crumb, **kwargs)
    hook = client.options.before_breadcrumb if client is not None else None
    if hook is not None:
        try:
            result = hook(result, hint or {})
        except Exception:
            _warn("before_breadcrumb raised; breadcrumb kept", exc_info=True)
    if isinstance(result, dict) and result:
        result["timestamp"] = _events.timestamp_seconds(result.get("timestamp"))
        get_isolation_scope().add_breadcrumb_data(result, max_breadcrumbs)
    elif result is not None:
        _warn(f"before_breadcrumb returned {type(result).__name__}, not a dict; dropped")


def _warn(message: str, exc_info: bool = False) -> None:
    LOGGER.warning("scopetel: %s", message, exc_info=exc_info)


def set_tag(key: str, value: object) -> None:
    get_isolation_scope().set_tag(key, value)


def set_tags(tags: dict[str, object]) -> None:
    get_isolation_scope().set_tags(tags)


def set_user(value: dict[str, Any] | None) -> None:
    get_isolation_scope().set_user(value)


def set_context(key: str, value: dict[str, Any]) -> None:
    get_isolation_scope().set_context(key, value)


def set_extra(key: str, value: object) -> None:
    get_isolation_scope().set_extra(key, value)


def set_level(value: str) -> None:
    get_isolation_scope().set_level(value)


def set_measurement(name: str, value: float, unit: str = "") -> None:
    """Record a measurement on the current transaction."""
    span = get_current_span()
    if span is not None:
        (span.containing_transaction or span).set_measurement(name, value, unit)


def set_transaction_name(name: str, source: str | None = None) -> None:
    """Rename the current transaction (and events captured in this scope)."""
    span = get_current_span()
    within = None
    if span is not None:
        within = (int(span.trace_id, 16), time.time_ns())
        root = span.containing_transaction
        if root is None and span.is_local_root:
            root = span  # a root started by another instrumentation
        if root is not None:
            root.name = str(name)
            root.otel_span.set_attribute(SOURCE, source or "custom")
    get_current_scope().set_transaction_name(name, source, within)


def last_event_id() -> str | None:
    """The id of the last event captured in this isolation scope."""
    return get_isolation_scope().last_event_id


def is_initialized() -> bool:
    return get_client() is not None
