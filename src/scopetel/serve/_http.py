"""The HTTP side: routes, status codes and reasons; the receiver supplies what to do with data.

Every refusal is a 4xx with a reason in the body and closes the connection (the body
may be unread). An unexpected error answers 500 and is logged; the server goes on.
"""

import json
import logging
import socket
import sys
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import urlsplit

from scopetel.serve._body import decode_body, read_body
from scopetel.serve._errors import RequestError
from scopetel.serve._otlp import TRACES_PATH, error_body, records_from_otlp, success_body
from scopetel.serve._records import Received
from scopetel.serve._sentry import ENVELOPE_PATH, records_from_envelope

__all__ = ["ReceiverServer"]

LOGGER: Final = logging.getLogger("scopetel.serve")
_ROUTES_HINT: Final = (
    "POST Sentry envelopes to /api/<project>/envelope/ and OTLP traces to /v1/traces"
)
_OTHER_OTLP: Final = ("/v1/metrics", "/v1/logs")

Accept = Callable[[list[Received]], None]
Refuse = Callable[[str, str, int, str], None]


class ReceiverServer(ThreadingHTTPServer):
    """A threading HTTP server that hands decoded records to ``accept``."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        family: socket.AddressFamily,
        *,
        accept: Accept,
        refuse: Refuse,
        max_body: int,
    ) -> None:
        self.address_family = family
        self.accept = accept
        self.refuse = refuse
        self.max_body = max_body
        self.index_text = "scopetel serve\n"
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away is routine; anything else escaping a handler is logged."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            LOGGER.debug("scopetel serve: connection from %s: %r", client_address, error)
        else:
            LOGGER.exception("scopetel serve: error serving %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    server: ReceiverServer
    protocol_version = "HTTP/1.1"
    server_version = "scopetel-serve"
    timeout = 30  # a client that stops sending mid-request frees its thread
    # Headers and body are two writes: with Nagle on, the body would wait for the
    # client's delayed ACK (~40 ms), capping a kept-alive client at ~22 envelopes/s.
    disable_nagle_algorithm = True
    _body_read = False

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        self._body_read = False
        try:
            self._post(path)
        except RequestError as error:
            self._discard_body()
            self._refuse(path, error, self.headers.get("Content-Type"))
        except Exception:
            LOGGER.exception("scopetel serve: error handling POST %s", path)
            self.server.refuse("POST", path, 500, "internal error (see the log)")
            self._reply(500, b"internal error\n", "text/plain; charset=utf-8", close=True)

    def _post(self, path: str) -> None:
        project = ENVELOPE_PATH.fullmatch(path)
        if project is None and path != TRACES_PATH:
            raise RequestError(404, _not_found(path))
        limit = self.server.max_body
        self._body_read = True  # from here on, never read the body again
        body = read_body(self.rfile, self.headers, limit)
        body = decode_body(body, self.headers.get("Content-Encoding"), limit)
        if project is not None:
            records, event_id = records_from_envelope(body, project["project"])
            reply = json.dumps({"id": event_id} if event_id else {}).encode()
            content_type = "application/json"
        else:
            records = records_from_otlp(body, self.headers.get("Content-Type"))
            reply, content_type = success_body(self.headers.get("Content-Type"))
        self.server.accept(records)
        self._reply(200, reply, content_type)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            self._reply(200, self.server.index_text.encode(), "text/plain; charset=utf-8")
        elif ENVELOPE_PATH.fullmatch(path) or path == TRACES_PATH:
            self._refuse(path, RequestError(405, f"use POST for {path}"), None)
        else:
            self._refuse(path, RequestError(404, _not_found(path)), None)

    def do_HEAD(self) -> None:
        self._reply(200 if urlsplit(self.path).path == "/" else 404, b"", "text/plain", head=True)

    def _method_not_allowed(self) -> None:
        path = urlsplit(self.path).path
        self._body_read = False
        self._discard_body()
        self._refuse(path, RequestError(405, f"method {self.command} is not allowed"), None)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _method_not_allowed

    def _refuse(self, path: str, error: RequestError, content_type: str | None) -> None:
        self.server.refuse(self.command, path, error.status, error.reason)
        if path == TRACES_PATH:
            body, body_type = error_body(content_type, error.reason)
        else:
            body, body_type = json.dumps({"detail": error.reason}).encode(), "application/json"
        extra = {"Allow": "POST"} if error.status == 405 else {}
        self._reply(error.status, body, body_type, close=True, extra=extra)

    def _discard_body(self) -> None:
        """Read a small declared body, so the client sees the answer rather than a reset."""
        if self._body_read or self.headers.get("Transfer-Encoding"):
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return
        if 0 < length <= min(self.server.max_body, 1 << 20):
            self.rfile.read(length)

    def _reply(
        self,
        status: int,
        body: bytes,
        content_type: str,
        *,
        close: bool = False,
        head: bool = False,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        LOGGER.debug("%s %s", self.address_string(), format % args)


def _not_found(path: str) -> str:
    if path in _OTHER_OTLP:
        return f"{path} is not supported: scopetel serve receives OTLP traces only"
    return f"unknown path {path}: {_ROUTES_HINT}"
