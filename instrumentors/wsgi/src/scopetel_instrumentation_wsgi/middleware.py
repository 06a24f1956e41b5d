"""The WSGI layer: one isolation scope, server span and Context per request, body included.

The server calls the application, then iterates the returned body and closes it,
possibly long after the application returned (a streamed response). The body is
returned wrapped so that each step runs in the request's captured Context, and the
request (its server span) ends when the body is exhausted, fails or is closed early —
``cancelled`` when the client went away mid-stream.
"""

from collections.abc import Callable, Iterable
from typing import Any, Final

from opentelemetry import trace as otel_trace
from opentelemetry.trace import Tracer

from scopetel.instrumentation import (
    ContextIterator,
    RecordingInput,
    RequestInfo,
    ServerRequest,
    begin,
    current_request,
    report_internal_error,
)

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApplication = Callable[[Environ, StartResponse], Iterable[bytes]]

ORIGIN: Final = "auto.http.wsgi"
TRACER_NAME: Final = "scopetel_instrumentation_wsgi"
_CONTRIB_MODULE: Final = "opentelemetry.instrumentation.wsgi"


class ScopetelWSGIMiddleware:
    """Wrap a WSGI application: ``app = ScopetelWSGIMiddleware(app)``.

    Wrapping contrib's ``OpenTelemetryMiddleware`` puts scopetel's layer *inside* it,
    where contrib's server span is current and can be adopted; outside, contrib would
    replace the request's Context with a freshly extracted one.
    """

    def __init__(
        self, app: WSGIApplication, *, origin: str = ORIGIN, mechanism: str = "wsgi"
    ) -> None:
        self.origin = origin
        self.mechanism = mechanism  # exception mechanism type of unhandled errors
        self._tracer: Tracer = otel_trace.get_tracer(TRACER_NAME)
        self._passthrough = False
        if _is_contrib_middleware(app):
            inner = app.wsgi  # type: ignore[attr-defined]
            app.wsgi = ScopetelWSGIMiddleware(  # type: ignore[attr-defined]
                inner, origin=origin, mechanism=mechanism
            )
            self._passthrough = True
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if self._passthrough or current_request() is not None:
            return self.app(environ, start_response)  # another scopetel layer serves it
        try:
            request = begin(
                RequestInfo.from_environ(environ),
                tracer=self._tracer,
                origin=self.origin,
                mechanism=self.mechanism,
                sampling_context={"wsgi_environ": environ},
            )
        except Exception:
            report_internal_error("ScopetelWSGIMiddleware.begin")
            return self.app(environ, start_response)
        if request.body is not None and "wsgi.input" in environ:
            environ["wsgi.input"] = RecordingInput(environ["wsgi.input"], request.body)
        try:
            result = self.app(environ, _status_recorder(start_response, request))
            return wrap_body(result, request, environ)
        except BaseException as error:
            request.finish(error)
            raise
        finally:
            request.leave()


def _is_contrib_middleware(app: object) -> bool:
    return type(app).__module__ == _CONTRIB_MODULE and hasattr(app, "wsgi")


def _status_recorder(start_response: StartResponse, request: ServerRequest) -> StartResponse:
    def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        code = status.split(" ", 1)[0] if isinstance(status, str) else ""
        if code.isdigit():
            request.set_status_code(int(code))
        if isinstance(headers, list):
            request.set_response_headers(headers)
        if exc_info is None:
            return start_response(status, headers)
        return start_response(status, headers, exc_info)

    return recording_start_response


def wrap_body(result: Iterable[bytes], request: ServerRequest, environ: Environ) -> Iterable[bytes]:
    """The body to hand to the server; call while the request's Context is current.

    A ``wsgi.file_wrapper`` body keeps its type (servers send it with ``sendfile``):
    only its ``close`` is hooked, to end the request.
    """
    try:
        file_wrapper = environ.get("wsgi.file_wrapper")
        is_file = isinstance(file_wrapper, type) and isinstance(result, file_wrapper)
        if is_file and _hook_close(result, request):
            return result
        return ContextIterator(result, request.body_context(), request.body_done)
    except Exception:
        report_internal_error("wrap_body")
        request.finish()
        return result


def _hook_close(body: object, request: ServerRequest) -> bool:
    original = getattr(body, "close", None)

    def close() -> None:
        try:
            if original is not None:
                original()
        finally:
            request.finish()

    try:
        body.close = close  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return False
    return True


__all__ = ["ScopetelWSGIMiddleware", "wrap_body"]
