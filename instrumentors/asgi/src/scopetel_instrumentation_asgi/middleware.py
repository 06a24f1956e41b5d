"""The ASGI layer: one isolation scope, server span and Context per HTTP request.

An ASGI application sends its whole body before it returns (a streamed body is a
series of ``http.response.body`` messages), all in the request's task, so the
request's Context covers it. The request ends when the application returns:
``cancelled`` when the client disconnected before the last body message.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from opentelemetry import trace as otel_trace

from scopetel import get_current_span, isolation_scope, set_transaction_name
from scopetel.instrumentation import (
    RequestInfo,
    ServerRequest,
    begin,
    current_request,
    endpoint_name,
    guarded,
    report_internal_error,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ORIGIN: Final = "auto.http.asgi"
TRACER_NAME: Final = "scopetel_instrumentation_asgi"
_CONTRIB_MODULE: Final = "opentelemetry.instrumentation.asgi"
_FINAL_SENDS: Final = frozenset({"http.response.pathsend", "http.response.zerocopysend"})
_naming = {"transaction_style": "url"}  # see AsgiInstrumentor


def set_transaction_style(style: str) -> None:
    """``url``: transactions named by route; ``endpoint``: by the endpoint Starlette chose."""
    _naming["transaction_style"] = style


class ScopetelASGIMiddleware:
    """Wrap an ASGI 3 application: ``app = ScopetelASGIMiddleware(app)``.

    As with WSGI, wrapping contrib's ``OpenTelemetryMiddleware`` puts this layer
    inside it, so contrib's server span is adopted rather than demoted.
    """

    def __init__(self, app: ASGIApp, *, origin: str = ORIGIN, mechanism: str = "asgi") -> None:
        self.origin = origin
        self.mechanism = mechanism
        self._tracer = otel_trace.get_tracer(TRACER_NAME)
        self._passthrough = False
        if type(app).__module__ == _CONTRIB_MODULE and hasattr(app, "app"):
            inner = ScopetelASGIMiddleware(app.app, origin=origin, mechanism=mechanism)
            app.app = inner
            self._passthrough = True
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "websocket" and current_request() is None:
            with isolation_scope():  # a connection's user and tags stay its own
                await self.app(scope, receive, send)
            return
        if self._passthrough or scope.get("type") != "http" or current_request() is not None:
            await self.app(scope, receive, send)
            return
        try:
            request = begin(
                RequestInfo.from_asgi(scope),
                tracer=self._tracer,
                origin=self.origin,
                mechanism=self.mechanism,
                sampling_context={"asgi_scope": scope},
            )
            request.route_getter = lambda: route_of(scope)
            span = get_current_span()  # the request's server span, entered by begin()
            if span is not None:
                span.set_tag("asgi.type", "http")  # as sentry_sdk tags ASGI transactions
        except Exception:
            report_internal_error("ScopetelASGIMiddleware.begin")
            await self.app(scope, receive, send)
            return
        progress = _Progress(request, scope, receive, send)
        try:
            await self.app(scope, progress.receive, progress.send)
        except BaseException as error:
            refresh_name(request, scope)
            request.finish(None if progress.disconnected else error, cancelled=True)
            raise
        else:
            refresh_name(request, scope)
            request.finish(cancelled=progress.disconnected or progress.cut_short)
        finally:
            request.leave()


class _Progress:
    """What the application sent, and whether the client went away."""

    __slots__ = ("_receive", "_request", "_scope", "_send", "complete", "disconnected", "started")

    def __init__(self, request: ServerRequest, scope: Scope, receive: Receive, send: Send):
        self._request = request
        self._scope = scope
        self._receive = receive
        self._send = send
        self.started = False
        self.complete = False
        self.disconnected = False

    @property
    def cut_short(self) -> bool:
        return self.started and not self.complete

    async def receive(self) -> Message:
        message = await self._receive()
        kind = message.get("type")
        if kind == "http.request":
            body = self._request.body
            if body is not None:
                body.feed(message.get("body"))
        elif kind == "http.disconnect" and not self.complete:
            self.disconnected = True
        return message

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            self.started = True
            status = message.get("status")
            if isinstance(status, int):
                self._request.set_status_code(status)
            headers = message.get("headers")
            if headers:
                self._request.set_response_headers(headers)
            refresh_name(self._request, self._scope)
        try:
            await self._send(message)
        except OSError:  # the server could not write: the client is gone
            self.disconnected = True
            raise
        if (kind == "http.response.body" and not message.get("more_body", False)) or (
            kind in _FINAL_SENDS
        ):
            self.complete = True


def refresh_name(request: ServerRequest, scope: Scope) -> None:
    """Name the transaction by the route Starlette matched, or by its endpoint."""
    request.refresh_route()
    if _naming["transaction_style"] == "endpoint":
        _name_by_endpoint(scope)


@guarded(None)
def _name_by_endpoint(scope: Scope) -> None:
    name = endpoint_name(scope.get("endpoint")) if scope.get("endpoint") else None
    if name:
        set_transaction_name(name, source="component")


def route_of(scope: Scope) -> str | None:
    """The route template Starlette (or FastAPI) matched, with the path it is mounted at.

    Starlette keeps the matched route in ``scope["route"]``; a mount adds the part of
    the path it consumed to ``root_path``.
    """
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path:
        return None
    if "app_root_path" not in scope:
        return path  # not mounted; a root_path given to the server is not part of routes
    mounted, app_root = scope.get("root_path"), scope["app_root_path"]
    if isinstance(mounted, str) and isinstance(app_root, str) and mounted.startswith(app_root):
        prefix = mounted[len(app_root) :]
        if hasattr(route, "routes"):  # the Mount itself matched: root_path ends with it
            return prefix or path
        path = prefix + path
    return path
