"""One HTTP request served by this process: its scopes, its server span, and its end.

A web layer (WSGI or ASGI middleware, Django middleware) calls :func:`begin` when a
request arrives. That forks the isolation and current scopes (so nothing set while
serving the request is seen by another one), registers the event processor that adds
``request`` data to events, and either *adopts* the server span another
instrumentation already made current (contrib's Django, WSGI or ASGI middleware) or
starts one, continuing the trace of the incoming ``sentry-trace``/``baggage`` or
``traceparent`` headers. The request's OpenTelemetry Context is then entered; the
layer leaves it when the application returns, whatever happens to the body later.
A span scopetel starts honours what OpenTelemetry users configure for contrib's
(``_web.excluded_urls``, ``_web.captured_headers``) and its request is counted in the
HTTP server metrics (``_web.server_metrics``); an adopted span is left to its maker.

The request is over when its body is (see ``_web.body``): :meth:`ServerRequest.finish`
sets the span's status and ends it, once, inside the request's Context, so the scopes
of the request are those of its transaction. An adopted span's own ``end()`` calls are
held until then (``_web.held_end``), so its duration covers the whole body too.
"""

import contextvars
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context, create_key
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
)

from scopetel._api import capture_unhandled
from scopetel._context import entries
from scopetel._context.active_scopes import get_current_scope, get_isolation_scope
from scopetel._context.keys import (
    CURRENT_SCOPE,
    CUSTOM_SAMPLING_CONTEXT,
    ISOLATION_SCOPE,
    SPAN_FACADE,
)
from scopetel._context.scope import Scope
from scopetel._events.exceptions import was_captured
from scopetel._internal_errors import guarded
from scopetel._propagation.incoming import continue_incoming
from scopetel._semconv import sentry_attributes as attrs
from scopetel._semconv.naming import request_name, sentry_names
from scopetel._serialize import JSONValue
from scopetel._sessions import tracking as sessions
from scopetel._trace_sdk.ids import new_span_id, new_trace_id
from scopetel._tracing.span import Span
from scopetel._web.attributes import server_span_attributes, span_name
from scopetel._web.body import CLOSED, Outcome
from scopetel._web.captured_headers import request_header_attributes, response_header_attributes
from scopetel._web.excluded_urls import is_excluded
from scopetel._web.held_end import HeldEnd, hold_end
from scopetel._web.info import RequestInfo
from scopetel._web.request_body import BodyRecorder, recorder_for
from scopetel._web.request_data import UserGetter, request_event_processor, send_default_pii
from scopetel._web.server_metrics import RequestMeter

REQUEST: Final = create_key("scopetel.web.request")
"""Context key of the :class:`ServerRequest` being served."""
_UNSAMPLED: Final = TraceFlags(TraceFlags.DEFAULT)


class ServerSpan(Span):
    """The facade of a request's server span: it is its own transaction."""

    __slots__ = ()

    @property
    def containing_transaction(self) -> Span:
        return self


class ServerRequest:
    """State of one request; :meth:`finish` may come from any thread, once."""

    __slots__ = (
        "_entry",
        "_held",
        "_lock",
        "_otel_ctx",
        "_own",
        "body",
        "finished",
        "info",
        "isolation",
        "mechanism",
        "meter",
        "route",
        "route_getter",
        "sentry_route",
        "span",
        "status_code",
        "user",
    )

    def __init__(self, info: RequestInfo, isolation: Scope, mechanism: str) -> None:
        self.info = info
        self.isolation = isolation
        self.mechanism = mechanism  # exception mechanism type of unhandled errors
        self.span: otel_trace.Span = otel_trace.INVALID_SPAN
        self.route: str | None = None
        self.sentry_route: str | None = None  # the route as sentry_sdk spells it, if not so
        self.route_getter: Callable[[], str | None] | None = None  # asked when names are due
        self.status_code: int | None = None
        self.user: UserGetter | None = None  # the framework's user, read only with PII
        self.body: BodyRecorder | None = None  # the request body as the application reads it
        self.meter: RequestMeter | None = None  # HTTP metrics: of the spans scopetel starts
        self.finished = False
        self._own = False
        self._held: HeldEnd | None = None
        self._otel_ctx = Context()
        self._entry: entries.Entry | None = None
        self._lock = threading.Lock()

    # -- the request's Context -----------------------------------------------------------
    def enter(self) -> None:
        """Make the request's Context current here (until :meth:`leave`)."""
        self._entry = entries.enter({}, base=self._otel_ctx)

    def leave(self) -> None:
        """Restore the Context that was current before :meth:`enter`."""
        entry, self._entry = self._entry, None
        if entry is not None:
            entries.leave(entry)

    def body_context(self) -> contextvars.Context:
        """A copy of the current ``contextvars.Context`` to drive the body in.

        The request's Context is entered in the copy with an entry of its own, which is
        never left: leaving the layer's entry must not end it for the body.
        """
        base = entries.current() if current_request() is self else self._otel_ctx
        ctx = contextvars.copy_context()
        ctx.run(entries.enter, {}, base)
        return ctx

    # -- what the application tells ----------------------------------------------------
    @guarded(None)
    def set_status_code(self, code: int) -> None:
        self.status_code = code
        if self._own and self.span.is_recording():
            self.span.set_attribute("http.response.status_code", code)

    @guarded(None)
    def set_response_headers(self, headers: Iterable[tuple[str | bytes, str | bytes]]) -> None:
        """The response's headers (WSGI's text or ASGI's bytes): those asked for
        (``_web.captured_headers``) become attributes of the span scopetel started."""
        if self._own and self.span.is_recording():
            attributes = response_header_attributes(headers)
            if attributes:
                self.span.set_attributes(attributes)

    @guarded(None)
    def set_route(self, route: str, sentry_route: str | None = None) -> None:
        """The route template that matched (``/items/<int:pk>/``): names the transaction.
        ``sentry_route``: the same as sentry_sdk's integration spells it, if it differs
        (Django's ``/items/{pk}/``)."""
        if not route or route == self.route:
            return
        self.route = route
        self.sentry_route = sentry_route
        name = request_name(self.info.method, route, sentry_route)
        self.isolation.set_transaction_name(name, "route")
        if self.span.is_recording() and not self.finished:
            self.span.set_attribute("http.route", route)
            if self._own and sentry_names():  # sentry_sdk's names: the span's too
                self.span.update_name(name)
                self.span.set_attribute(attrs.SOURCE, "route")
            elif self._own:
                self.span.update_name(span_name(self.info.method, route))

    @guarded(None)
    def refresh_route(self) -> None:
        """Ask ``route_getter`` (frameworks that route inside the application)."""
        getter = self.route_getter
        if getter is not None and not self.finished:
            route = getter()
            if route:
                self.set_route(route)

    @guarded(None)
    def set_transaction_name(self, name: str, source: str) -> None:
        """Name the transaction and its events other than by route (Flask's endpoints)."""
        if not name:
            return
        ctx = self.span.get_span_context()
        within = (ctx.trace_id, time.time_ns()) if ctx.is_valid else None
        self.isolation.name_transaction_within(name, source, within)

    def transaction_name(self) -> str | None:
        """``METHOD /route`` (see ``request_name``) once the route is known."""
        self.refresh_route()
        if not self.route:
            return None
        return request_name(self.info.method, self.route, self.sentry_route)

    @guarded(None)
    def capture_exception(self, error: BaseException) -> None:
        """Report an error the application did not handle (once per exception object)."""
        if not isinstance(error, Exception) or was_captured(error):
            return
        if not self.finished:
            self._mark_failed(error)
        if current_request() is self:
            capture_unhandled(error, self.mechanism)
        else:
            self._in_context(lambda: capture_unhandled(error, self.mechanism))

    # -- the end ------------------------------------------------------------------------
    @guarded(None)
    def finish(self, error: BaseException | None = None, *, cancelled: bool = False) -> None:
        """The request is over: set the span's status and end it (once, from any thread)."""
        with self._lock:
            if self.finished:
                return
            self.finished = True
        if error is not None and not isinstance(error, Exception):
            error, cancelled = None, True  # CancelledError, GeneratorExit: the client left
        span = self.span
        if error is not None:
            # the span says how the request failed before the error event copies its
            # trace context (status internal_error, the 500), as in sentry_sdk's event
            self._mark_failed(error)
            if self.status_code is None and span.is_recording():
                # No response started: the server answers 500. An adopted span (FastAPI's
                # own) would only learn it after its end, which scopetel holds until now.
                attributes = getattr(span, "attributes", None) or {}
                if attrs.HTTP_STATUS not in attributes:
                    span.set_attribute(attrs.HTTP_STATUS, 500)
            self.capture_exception(error)
        sessions.end_request(self.isolation)  # release health: after the error counted
        if self.meter is not None:
            self.refresh_route()
            self.meter.finished(self.route, self.status_code, error)
        if span.is_recording():
            if cancelled and error is None:
                span.set_attribute(attrs.STATUS, "cancelled")
            elif self._own and self.status_code is not None and self.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
        if self._own:
            self._in_context(span.end)
        elif self._held is not None:
            self._in_context(self._held.end)

    def _mark_failed(self, error: BaseException) -> None:
        if self.span.is_recording():
            self.span.set_attribute(attrs.STATUS, "internal_error")
            self.span.set_status(Status(StatusCode.ERROR, type(error).__name__))

    def body_done(self, outcome: Outcome) -> None:
        """``on_done`` of a body iterator: exhausted, failed, or closed early (cancelled)."""
        if isinstance(outcome, BaseException):
            self.finish(outcome)
        else:
            self.finish(cancelled=outcome == CLOSED)

    def _in_context(self, action: Any) -> None:
        entry = entries.enter({}, base=self._otel_ctx)
        try:
            action()
        finally:
            entries.leave(entry)


def current_request() -> ServerRequest | None:
    """The request being served in the current Context, if any."""
    request = entries.current().get(REQUEST)
    return request if isinstance(request, ServerRequest) else None


def begin(
    info: RequestInfo,
    *,
    tracer: Tracer,
    origin: str,
    mechanism: str,
    sampling_context: Mapping[str, Any],
) -> ServerRequest:
    """Start serving a request: fork scopes, adopt or start the server span, enter.

    ``origin`` is the ``sentry.origin`` of a span scopetel starts; ``sampling_context``
    is merged into what ``traces_sampler`` receives (``wsgi_environ``, ``asgi_scope``).
    """
    ctx = entries.current()
    isolation = get_isolation_scope().fork()
    # A request's breadcrumbs are its own (as sentry_sdk's web integrations): not the
    # server's start-up lines, nor what the process recorded outside any request.
    isolation.clear_breadcrumbs()
    request = ServerRequest(info, isolation, mechanism)
    request.body = recorder_for(info)
    processor = request_event_processor(
        info, lambda: _user_of(request), request.transaction_name, lambda: _body_of(request)
    )
    isolation.add_event_processor(processor)
    isolation.set_transaction_name(f"{info.method} {info.path}", "url")
    sessions.begin_request(isolation)  # release health: one request-mode session
    values: dict[str, object] = {
        ISOLATION_SCOPE: isolation,
        CURRENT_SCOPE: get_current_scope().fork(),
        REQUEST: request,
        CUSTOM_SAMPLING_CONTEXT: None,
    }
    parent = otel_trace.get_current_span(ctx)
    parent_ctx = parent.get_span_context()
    local_parent = parent_ctx.is_valid and not parent_ctx.is_remote
    adopt = getattr(parent, "kind", None) is SpanKind.SERVER or not parent.is_recording()
    if local_parent and adopt:
        request.span = parent
        request._held = hold_end(parent)
        base = ctx
    elif is_excluded(info, mechanism):  # OTEL_PYTHON_EXCLUDED_URLS: served, not traced
        request.span = NonRecordingSpan(
            SpanContext(new_trace_id(), new_span_id(), is_remote=False, trace_flags=_UNSAMPLED)
        )
        base = otel_trace.set_span_in_context(request.span, Context({**ctx, **values}))
    else:
        base = Context({**ctx, **values})
        if not local_parent:
            base = continue_incoming(info.header_lists(), base)
        sampling = Context({**base, CUSTOM_SAMPLING_CONTEXT: dict(sampling_context)})
        attributes = server_span_attributes(info, origin=origin, pii=send_default_pii())
        attributes.update(request_header_attributes(info.headers))  # only those asked for
        request.span = tracer.start_span(
            span_name(info.method, None),
            context=sampling,
            kind=SpanKind.SERVER,
            attributes=attributes,
        )
        request._own = True
        request.meter = RequestMeter(info)
        request.meter.started()
        base = otel_trace.set_span_in_context(request.span, base)
    values[SPAN_FACADE] = ServerSpan(request.span)
    request._otel_ctx = Context({**base, **values})
    request.enter()
    return request


def _body_of(request: ServerRequest) -> JSONValue:
    recorder = request.body
    return None if recorder is None else recorder.data()


def _user_of(request: ServerRequest) -> dict[str, Any] | None:
    getter = request.user
    if getter is None:
        return None
    try:
        return getter()
    except Exception:
        return None
