"""The aiohttp layer: one isolation scope, server span and Context per request.

An aiohttp middleware (``scopetel_middleware``) serves each request: it begins the
request (``scopetel.instrumentation.begin``: scopes forked, contrib's server span
adopted when contrib's middleware runs outside it, else a server span of its own that
continues ``sentry-trace``/``baggage`` or ``traceparent``), names the transaction after
the route aiohttp matched, and reports what the handler raises: any exception but
aiohttp's ``HTTPException`` as unhandled (mechanism ``aiohttp``), an ``HTTPException``
whose status is one of ``failed_request_status_codes`` too (as sentry_sdk does).

The response is written after the middlewares returned (``RequestHandler.finish_response``):
the request ends when its last byte is written (``finish``, patched around
``RequestHandler._handle_request``), so the transaction's duration and status cover the
body, and a ``web.Response`` whose body is an async iterable produces each chunk in the
request's Context. A ``StreamResponse`` written by the handler is inside it anyway. A
client that goes away makes the request ``cancelled``.
"""

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Any, Final

from opentelemetry import trace as otel_trace

from scopetel.instrumentation import (
    ContextAsyncIterator,
    RequestInfo,
    ServerRequest,
    begin,
    capture_unhandled,
    current_request,
    endpoint_name,
    guarded,
    report_internal_error,
    was_captured,
)

ORIGIN: Final = "auto.http.aiohttp"
TRACER_NAME: Final = "scopetel_instrumentation_aiohttp"
ROUTE: Final = "method_and_path_pattern"
HANDLER_NAME: Final = "handler_name"
STYLES: Final = (ROUTE, HANDLER_NAME)
DEFAULT_CODES: Final = frozenset(range(500, 600))
_MAX_HEADERS: Final = 100

Handler = Callable[[Any], Awaitable[Any]]


class Settings:
    """``instrument(transaction_style=..., failed_request_status_codes=...)``."""

    transaction_style: str = ROUTE
    failed_codes: frozenset[int] = DEFAULT_CODES


class _Pending:
    """The request a connection is serving, finished when its response is written."""

    __slots__ = ("request",)

    def __init__(self) -> None:
        self.request: ServerRequest | None = None


_serving: dict[int, _Pending] = {}
"""By ``id()`` of the connection's ``RequestHandler`` (slotted: no weak references),
while it serves one request (a connection serves its requests one after the other)."""


def request_info(request: Any) -> RequestInfo:
    """What scopetel needs of an ``aiohttp.web.Request``."""
    headers = tuple(
        (str(name).lower(), str(value))
        for name, value in list(request.headers.items())[:_MAX_HEADERS]
    )
    version = getattr(request, "version", None)
    url = request.url
    return RequestInfo(
        method=str(request.method).upper(),
        scheme=str(request.scheme),
        host=str(request.host),
        path=str(request.path) or "/",
        query=str(request.query_string),
        headers=headers,
        peer=request.remote,
        server_port=url.port if isinstance(url.port, int) else None,
        protocol=f"{version.major}.{version.minor}" if version is not None else None,
        no_query="",  # as sentry_sdk's aiohttp integration: the (empty) query string
    )


def _route_of(request: Any) -> str | None:
    resource = getattr(getattr(request.match_info, "route", None), "resource", None)
    canonical = getattr(resource, "canonical", None)
    return canonical if isinstance(canonical, str) and canonical else None


@guarded(None)
def _name(server_request: ServerRequest, request: Any) -> None:
    route = _route_of(request)
    if route is not None:
        server_request.set_route(route)
        if Settings.transaction_style == HANDLER_NAME:
            name = endpoint_name(getattr(request.match_info, "handler", None))
            if name:
                server_request.set_transaction_name(name, "component")


def _start(request: Any) -> ServerRequest | None:
    try:
        server_request = begin(
            request_info(request),
            tracer=otel_trace.get_tracer(TRACER_NAME),
            origin=ORIGIN,
            mechanism="aiohttp",
            sampling_context={"aiohttp_request": request},
        )
    except Exception:
        report_internal_error("aiohttp begin")
        return None
    _name(server_request, request)
    return server_request


async def scopetel_middleware(request: Any, handler: Handler) -> Any:
    """aiohttp's middleware protocol (``@web.middleware``, marked by the instrumentor)."""
    if current_request() is not None:  # a sub-application's middlewares: served already
        return await handler(request)
    server_request = _start(request)
    if server_request is None:
        return await handler(request)
    pending = _serving.get(id(getattr(request, "protocol", None)))
    deferred = pending is not None and pending.request is None
    if deferred:
        pending.request = server_request  # type: ignore[union-attr]
    try:
        response = await handler(request)
    except asyncio.CancelledError:
        server_request.finish(cancelled=True)
        raise
    except ConnectionError:  # the client went away while the handler wrote
        server_request.finish(cancelled=True)
        raise
    except Exception as error:
        _after_handler(server_request, request, error)
        if not deferred:
            server_request.finish(None if _is_response(error) else error)
        raise
    else:
        _after_handler(server_request, request, response)
        if not deferred:
            server_request.finish()
        return response
    finally:
        server_request.leave()


def _is_response(error: BaseException) -> bool:
    """aiohttp's ``HTTPException``: a response raised, not an error by itself."""
    return isinstance(getattr(error, "status", None), int) and hasattr(error, "prepare")


@guarded(None)
def _after_handler(server_request: ServerRequest, request: Any, outcome: Any) -> None:
    """Status code, request body read, errors reported, an async body bound to the request."""
    _name(server_request, request)  # a middleware may have re-routed
    body = getattr(request, "_read_bytes", None)  # what the handler read (sentry_sdk's way)
    if isinstance(body, bytes) and body and server_request.body is not None:
        server_request.body.feed(body)
    status = getattr(outcome, "status", None)
    if isinstance(status, int):
        server_request.set_status_code(status)
    if isinstance(outcome, BaseException):
        if not _is_response(outcome):
            server_request.capture_exception(outcome)  # and the transaction: internal_error
        elif status in Settings.failed_codes and not was_captured(outcome):
            # An error event, but the transaction's status follows the response (503:
            # ``unavailable``), as sentry_sdk's ``set_http_status``.
            capture_unhandled(outcome, "aiohttp")
        return
    _bind_async_body(server_request, outcome)


def _bind_async_body(server_request: ServerRequest, response: Any) -> None:
    """A ``web.Response(body=<async iterable>)`` is iterated after the middlewares
    returned: each step runs in the request's Context."""
    payload: Any = getattr(response, "_body", None)
    inner: Any = getattr(payload, "_iter", None)
    if not hasattr(inner, "__anext__") or isinstance(inner, ContextAsyncIterator):
        return  # no async body, or bound already

    def done(outcome: object) -> None:
        if isinstance(outcome, BaseException) and not isinstance(
            outcome, asyncio.CancelledError | ConnectionError
        ):
            server_request.finish(outcome)

    payload._iter = ContextAsyncIterator(inner, server_request.body_context(), done)


# -- the end of a request: patched around RequestHandler._handle_request ----------------
async def handle_request(original: Callable[..., Awaitable[Any]], handler: Any, *args: Any) -> Any:
    """Serve one request; finish it once its response was written (or failed to be)."""
    pending = _Pending()
    key = id(handler)
    _serving[key] = pending
    try:
        result = await original(handler, *args)
    except (asyncio.CancelledError, ConnectionError):
        _finish(pending, cancelled=True)
        raise
    except BaseException as error:
        _finish(pending, error=error)
        raise
    finally:
        if _serving.get(key) is pending:
            del _serving[key]
    response, reset = _response_and_reset(result)
    status = getattr(response, "status", None)
    if pending.request is not None and isinstance(status, int):
        pending.request.set_status_code(status)
    _finish(pending, cancelled=reset)
    return result


def _response_and_reset(result: Any) -> tuple[Any, bool]:
    if isinstance(result, tuple) and len(result) == 2:
        return result[0], bool(result[1])
    return result, False


def _finish(
    pending: _Pending, *, error: BaseException | None = None, cancelled: bool = False
) -> None:
    request = pending.request
    if request is not None:
        request.finish(error, cancelled=cancelled)


def parse_codes(given: object) -> frozenset[int]:
    """``failed_request_status_codes`` given to ``instrument`` (default 500-599)."""
    if given is None:
        return DEFAULT_CODES
    if not isinstance(given, Collection) or isinstance(given, (str, bytes)):
        raise TypeError(f"failed_request_status_codes must be a set of ints, got {given!r}")
    return frozenset(int(code) for code in given)
