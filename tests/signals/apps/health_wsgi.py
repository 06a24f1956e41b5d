"""A WSGI application for the release-health tests: ``/ok``, ``/handled`` (captures a
handled error, answers 200), ``/crash`` (raises), ``/message`` (a message event)."""

from collections.abc import Callable, Iterable
from typing import Any

import scopetel


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/handled":
        try:
            int("not a number")
        except ValueError:
            scopetel.capture_exception()
    elif path == "/message":
        scopetel.capture_message("a message is not an error")
    elif path == "/crash":
        raise RuntimeError("the request crashed")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
