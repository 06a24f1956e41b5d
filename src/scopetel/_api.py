"""The module-level functions of ``scopetel``, named and shaped like ``sentry_sdk``'s."""

import contextvars
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any, Final

from opentelemetry.trace import SpanKind

from scopetel._client import get_client
from scopetel._coerce import as_dict, dropped, pairs, text
from scopetel._context.active_scopes import get_current_scope, get_global_scope, get_isolation_scope
from scopetel._context.scope import Breadcrumb, Scope
from scopetel._events.assembly import breadcrumb
from scopetel._events.exceptions import (
    exc_info_from,
    exceptions_from_error,
    mark_captured,
    was_captured,
)
from scopetel._events.relay_shape import INTERNAL_ERROR_REASON, clean_breadcrumb
from scopetel._events.stacktrace import FrameOptions, frames_from_stack
from scopetel._events.user_events import user_event
from scopetel._internal_errors import guarded
from scopetel._propagation.dsc import DynamicSamplingContext
from scopetel._semconv.naming import segment_name_and_source
from scopetel._semconv.relay_fields import LEVELS
from scopetel._semconv.relay_fields import level as relay_level
from scopetel._semconv.sentry_attributes import SOURCE
from scopetel._serialize import truncate
from scopetel._sessions import tracking as _sessions
from scopetel._tracing import trace_identity as _propagation
from scopetel._tracing.span import Span
from scopetel._tracing.transaction import get_current_span

LOGGER: Final = logging.getLogger("scopetel")
_SCOPE_KWARGS = frozenset({"tags", "extras", "contexts", "user", "level", "fingerprint"})


def _capture_scopes(scope: Scope | None, scope_kwargs: dict[str, Any]) -> list[Scope]:
    scopes = [get_global_scope(), get_isolation_scope(), get_current_scope()]
    given: object = scope  # callers pass whatever they got
    if isinstance(given, Scope):
        scopes.append(given)
    elif given is not None:
        dropped("capture: scope", given, "is not a Scope; ignored:")
    if scope_kwargs:
        unknown = set(scope_kwargs) - _SCOPE_KWARGS
        if unknown:
            _warn(f"ignoring unknown scope argument(s): {', '.join(sorted(unknown))}")
        extra = Scope("current")
        for key, value in pairs(scope_kwargs.get("tags"), "tags"):
            extra.set_tag(text(key, "tag key"), value)
        for key, value in pairs(scope_kwargs.get("extras"), "extras"):
            extra.set_extra(text(key, "extra key"), value)
        for key, value in pairs(scope_kwargs.get("contexts"), "contexts"):
            extra.set_context(text(key, "context key"), value)
        if "user" in scope_kwargs:
            extra.set_user(scope_kwargs["user"])
        if "level" in scope_kwargs:
            extra.set_level(scope_kwargs["level"])
        if "fingerprint" in scope_kwargs:
            extra.fingerprint = scope_kwargs["fingerprint"]
        scopes.append(extra)
    return scopes


def _event_trace(
    scopes: list[Scope],
) -> tuple[dict[str, Any], DynamicSamplingContext, dict[str, Any]]:
    """What links an event to its trace: ``contexts.trace``, the envelope's DSC, and the
    ``transaction``/``transaction_info`` of the transaction it happened in (if any); a
    name set in this trace with ``set_transaction_name`` wins, as for the transaction."""
    span = get_current_span()
    if span is None:
        trace_id, span_id = _propagation.scope_trace_ids()
        trace: dict[str, Any] = {
            "trace_id": f"{trace_id:032x}",
            "span_id": f"{span_id:016x}",
            "parent_span_id": None,
        }
        return trace, _propagation.scope_dsc(), {"transaction_info": {}}
    root = span.containing_transaction
    if root is None and span.is_local_root:
        root = span  # a root started by another instrumentation
    naming: dict[str, Any] = {"transaction_info": {}}
    if root is not None and root.name:
        otel = root.otel_span
        attributes = getattr(otel, "attributes", None) or {}
        kind = getattr(otel, "kind", SpanKind.INTERNAL)
        name, source = segment_name_and_source(root.name, kind, attributes)
        naming["transaction"] = name
        naming["transaction_info"] = {"source": source}
    trace_id = span.otel_span.get_span_context().trace_id
    for scope in scopes:
        data = scope.data
        renamed = data.name_in_trace(trace_id)
        if renamed is not None:
            naming["transaction"] = renamed
            naming["transaction_info"] = {"source": data.transaction_source or "custom"}
    dsc = _propagation.current_dsc() or _propagation.scope_dsc()
    return span.get_trace_context(), dsc, naming


def _count_lost_error(*args: object, **kwargs: object) -> None:
    """An event that an internal error stopped is counted, never lost silently."""
    client = get_client()
    if client is not None:
        client.record_lost(INTERNAL_ERROR_REASON, "error")


@guarded(None, on_error=_count_lost_error)
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
    given: object = event  # callers pass whatever they got
    if not isinstance(given, Mapping):
        dropped("capture_event", given, "needs a dict; nothing sent for")
        return None
    return _capture(user_event(given), hint, scope, scope_kwargs)


def _capture(
    event: dict[str, Any], hint: object, scope: Scope | None, scope_kwargs: dict[str, Any]
) -> str | None:
    """Send an event scopetel built (or made JSON-safe); its id."""
    client = get_client()
    if client is None or not client.sending:
        return None
    scopes = _capture_scopes(scope, scope_kwargs)
    trace, dsc, naming = _event_trace(scopes)
    hints = {text(k, "hint key"): v for k, v in pairs(hint, "hint")}
    if not client._ignored(hints):
        _sessions.note_event(event)  # release health: errored or crashed
    event_id = client.capture_event({**naming, **event}, hints, scopes, trace, dsc)
    if event_id is not None:
        get_isolation_scope().captured_event_id = event_id
    return event_id


@guarded(None, on_error=_count_lost_error)
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
        if error is not None:
            dropped("capture_exception", error, "is not an exception; nothing sent for")
        return None
    event, hint = exception_event(exception, client.frame_options, "generic", handled=True)
    return _capture(event, hint, scope, scope_kwargs)


@guarded(None, on_error=_count_lost_error)
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
    event, hint = exception_event(error, client.frame_options, mechanism_type, handled=handled)
    if contexts:
        event["contexts"] = contexts
    mark_captured(error)
    if run_in is not None:
        return run_in.copy().run(_capture, event, hint, None, {})
    return _capture(event, hint, None, {})


def exception_event(
    error: BaseException, options: FrameOptions, mechanism_type: str, *, handled: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An error event for ``error`` and its hint (``exc_info``)."""
    values = exceptions_from_error(error, options, mechanism_type=mechanism_type, handled=handled)
    event: dict[str, Any] = {"level": "error", "exception": {"values": values}}
    return event, {"exc_info": (type(error), error, error.__traceback__)}


@guarded(None, on_error=_count_lost_error)
def capture_message(
    message: str, level: str | None = None, scope: Scope | None = None, **scope_kwargs: Any
) -> str | None:
    """Send a message event."""
    client = get_client()
    if client is None or not client.sending:
        return None
    event: dict[str, Any] = {
        "level": _message_level(level),
        "message": truncate(text(message, "capture_message"), client.options.max_value_length),
    }
    if client.options.attach_stacktrace:
        frame = sys._getframe(1)
        frames = frames_from_stack(frame, client.frame_options)
        event["threads"] = {"values": [{"stacktrace": {"frames": frames}, "current": True}]}
    return _capture(event, None, scope, scope_kwargs)


def _message_level(value: object) -> str:
    if value is None:
        return "info"
    valid = relay_level(text(value, "level")) if isinstance(value, str) else None
    if valid is None:
        dropped("capture_message", value, f"level not one of {sorted(LEVELS)}; using error:")
        return "error"
    return valid


def add_breadcrumb(
    crumb: dict[str, Any] | None = None, hint: dict[str, Any] | None = None, **kwargs: Any
) -> None:
    """Record a breadcrumb on the isolation scope (through ``before_breadcrumb``)."""
    add_breadcrumb_to(None, crumb, hint, kwargs)


@guarded(None)
def add_breadcrumb_to(
    scope: Scope | None, crumb: object, hint: object, kwargs: dict[str, Any]
) -> None:
    """Record a breadcrumb on ``scope`` (None: the isolation scope)."""
    client = get_client()
    max_breadcrumbs = client.options.max_breadcrumbs if client is not None else 100
    if max_breadcrumbs == 0:
        return
    result: object = breadcrumb(crumb, **kwargs)
    hook = client.options.before_breadcrumb if client is not None else None
    if hook is not None:
        try:
            result = hook(result, as_dict(hint, "add_breadcrumb hint"))
        except Exception:
            _warn("before_breadcrumb raised; breadcrumb kept", exc_info=True)
    if isinstance(result, Mapping):
        cleaned = clean_breadcrumb(result)
        if cleaned:
            (scope or get_isolation_scope()).add_breadcrumb_data(cleaned, max_breadcrumbs)
    elif result is not None:
        _warn(f"before_breadcrumb returned {type(result).__name__}, not a dict; dropped")


@guarded(None)
def add_known_breadcrumb(crumb: Breadcrumb, hint: dict[str, Any] | None = None) -> None:
    """Record a breadcrumb an instrumentation built in Relay's shape (known keys, typed
    values, a float ``timestamp``, JSON-safe ``data``) on the isolation scope.

    Without ``before_breadcrumb`` it is stored as it is: the copy and the checks of
    :func:`add_breadcrumb` are for what applications pass. With the hook, the hook's
    result is untrusted and takes the checked path."""
    client = get_client()
    if client is None or client.options.before_breadcrumb is not None:
        add_breadcrumb_to(None, crumb, hint, {})
        return
    max_breadcrumbs = client.options.max_breadcrumbs
    if max_breadcrumbs:
        get_isolation_scope().add_breadcrumb_data(crumb, max_breadcrumbs)


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
    get_current_scope().set_transaction_name(name, source)


def rename_transaction(span: Span | None, name: str, source: str | None) -> tuple[int, int] | None:
    """Rename the transaction ``span`` belongs to (``source`` None: keep its source).

    Returns the marker of ``ScopeData.transaction_set``: (trace id, now in ns).
    """
    if span is None:
        return None
    root = span.containing_transaction
    if root is None and span.is_local_root:
        root = span  # a root started by another instrumentation
    if root is not None:
        root.name = name
        if source is not None:
            root.otel_span.set_attribute(SOURCE, source)
    return int(span.trace_id, 16), time.time_ns()


def last_event_id() -> str | None:
    """The id of the last event captured in this isolation scope."""
    return get_isolation_scope().captured_event_id


def is_initialized() -> bool:
    return get_client() is not None


# -- release health and attachments (scopetel._sessions, scopetel.attachments) ----------
def start_session(session_mode: str = "application") -> None:
    """Start a release-health session on the isolation scope."""
    get_isolation_scope().start_session(session_mode=session_mode)


def end_session() -> None:
    """End the isolation scope's session and send it."""
    get_isolation_scope().end_session()


def add_attachment(
    bytes: Any = None,
    filename: str | None = None,
    path: str | None = None,
    content_type: str | None = None,
    add_to_transactions: bool = False,
) -> None:
    """Add an attachment to the isolation scope (see ``Scope.add_attachment``)."""
    get_isolation_scope().add_attachment(bytes, filename, path, content_type, add_to_transactions)
