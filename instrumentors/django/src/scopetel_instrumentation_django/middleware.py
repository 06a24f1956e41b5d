"""scopetel's Django middleware: one isolation scope and server span per request.

It is placed right after contrib's ``_DjangoMiddleware`` when that is installed
(inside it, where contrib's server span is current and is adopted), else first. It
works in both of Django's modes: called synchronously under WSGI, awaited under ASGI.
When a generic scopetel WSGI/ASGI layer already serves the request (an application
wrapped by hand), it only adds what Django knows: the route and the user.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Final

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from opentelemetry import trace as otel_trace

import scopetel
from scopetel.instrumentation import (
    RecordingInput,
    RequestInfo,
    ServerRequest,
    begin,
    current_request,
    endpoint_name,
    guarded,
    report_internal_error,
)
from scopetel_instrumentation_django.responses import attach
from scopetel_instrumentation_django.routes import route_of, sentry_route, user_of
from scopetel_instrumentation_django.signals import emit_early

ORIGIN: Final = "auto.http.django"
TRACER_NAME: Final = "scopetel_instrumentation_django"
REQUEST_ATTRIBUTE: Final = "_scopetel_request"  # on the HttpRequest: its ServerRequest
_naming = {"transaction_style": "url"}  # see DjangoInstrumentor


def set_transaction_style(style: str) -> None:
    """``url``: transactions named by URL pattern; ``function_name``: by view."""
    _naming["transaction_style"] = style


class ScopetelMiddleware:
    """Django middleware (sync and async capable); see the module docstring."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        self._tracer = otel_trace.get_tracer(TRACER_NAME)
        if self._async:
            markcoroutinefunction(self)

    def __call__(self, request: Any) -> Any:
        if self._async:
            return self._acall(request)
        served = _served_by_outer_layer(request)
        if served:
            return self.get_response(request)
        state = self._begin(request)
        if state is None:
            return self.get_response(request)
        try:
            response = self.get_response(request)
        except BaseException as error:
            state.finish(error)
            raise
        else:
            attach(response, state)
            return response
        finally:
            state.leave()

    async def _acall(self, request: Any) -> Any:
        get_response: Callable[[Any], Awaitable[Any]] = self.get_response
        if _served_by_outer_layer(request):
            return await get_response(request)
        state = self._begin(request)
        if state is None:
            return await get_response(request)
        try:
            response = await get_response(request)
        except BaseException as error:
            state.finish(error)
            raise
        else:
            attach(response, state)
            return response
        finally:
            state.leave()

    def process_view(self, request: Any, view: Any, args: Any, kwargs: Any) -> None:
        """The URL pattern is known once the view is: it names the transaction (or the
        view does, with ``transaction_style="function_name"``)."""
        _set_route(request)
        if _naming["transaction_style"] == "function_name":
            _name_by_view(view)

    def _begin(self, request: Any) -> ServerRequest | None:
        try:
            scope = getattr(request, "scope", None)
            if isinstance(scope, dict):
                info = RequestInfo.from_asgi(scope)
                sampling: dict[str, Any] = {"asgi_scope": scope}
            else:
                info = RequestInfo.from_environ(request.META)
                sampling = {"wsgi_environ": request.META}
            sampling["django_request"] = request
            state = begin(
                info,
                tracer=self._tracer,
                origin=ORIGIN,
                mechanism="django",
                sampling_context=sampling,
            )
        except Exception:
            report_internal_error("ScopetelMiddleware.begin")
            return None
        state.user = lambda: user_of(request)
        setattr(request, REQUEST_ATTRIBUTE, state)
        _record_body(request, state)
        emit_early(request.META)
        return state


@guarded(None)
def _record_body(request: Any, state: ServerRequest) -> None:
    """Record the body as the application reads it, whichever way (``request.POST``,
    ``request.body``, ``request.read()``, Django REST framework's parsers): they all
    read the request's stream, which Django made from ``wsgi.input`` (or the ASGI body)
    before any middleware ran, so the stream itself is wrapped."""
    stream = getattr(request, "_stream", None)
    if state.body is not None and stream is not None:
        request._stream = RecordingInput(stream, state.body)


def _served_by_outer_layer(request: Any) -> bool:
    """A scopetel WSGI/ASGI layer around Django serves this request: lend it Django's user."""
    outer = current_request()
    if outer is None:
        return False
    outer.user = lambda: user_of(request)
    setattr(request, REQUEST_ATTRIBUTE, outer)
    return True


@guarded(None)
def _name_by_view(view: Any) -> None:
    name = endpoint_name(view)
    if name:
        scopetel.set_transaction_name(name, source="component")


@guarded(None)
def _set_route(request: Any) -> None:
    state = getattr(request, REQUEST_ATTRIBUTE, None)
    route = route_of(request)
    if isinstance(state, ServerRequest) and route is not None:
        state.set_route(route, sentry_route(route))
