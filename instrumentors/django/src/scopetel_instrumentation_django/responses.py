"""Django responses: the request ends when the server has sent the body, not before.

Django returns the response object to the server, which streams it and then calls
``response.close()``. Streamed content (sync or async generators) is replaced by a
wrapper driving each step in the request's Context; every response gets a ``close``
that ends the request. File responses keep their file (servers send it with
``sendfile``); their ``close`` ends the request.
"""

from typing import Any

from scopetel.instrumentation import (
    ContextAsyncIterator,
    ContextIterator,
    ServerRequest,
    report_internal_error,
)


def attach(response: Any, request: ServerRequest) -> None:
    """Make ``response`` end ``request`` when it is sent or closed."""
    try:
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            request.set_status_code(status)
        streamed = getattr(response, "file_to_stream", None) is None
        if getattr(response, "streaming", False) and streamed:
            content = response.streaming_content
            ctx = request.body_context()
            if getattr(response, "is_async", False):
                response.streaming_content = ContextAsyncIterator(content, ctx, request.body_done)
            else:
                response.streaming_content = ContextIterator(content, ctx, request.body_done)
        _hook_close(response, request)
    except Exception:
        report_internal_error("django response attach")
        request.finish()


def _hook_close(response: Any, request: ServerRequest) -> None:
    original = response.close

    def close() -> None:
        try:
            original()
        finally:
            request.finish()

    response.close = close
