"""A strict loopback Sentry endpoint for tests.

``SentryReceiver`` accepts ``POST /api/<project>/envelope/`` on 127.0.0.1, checks every
request as strictly as it reasonably can (auth header, gzip, framing, exact ``length``,
JSON payloads) with its own parser, and records what arrived::

    with SentryReceiver() as receiver:
        transport = HttpTransport(receiver.dsn)
        ...
        receiver.wait_for(lambda: len(receiver.events()) == 1)
        assert receiver.errors == []

Faults are programmed with ``receiver.reply(Reply(...), ...)`` (used in order, one per
request) or by setting ``receiver.default``. A malformed envelope is recorded in
``errors`` and answered 400. Only envelopes answered with 2xx are in ``envelopes``.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ReceivedEnvelope", "ReceivedItem", "Reply", "Request", "SentryReceiver"]

_PATH = re.compile(r"/api/(\d+)/envelope/")
_CLIENT = r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-+]+"
_JSON_TYPES = {"event", "transaction", "client_report", "check_in", "session", "sessions"}
_BATCH_TYPES = {"span", "log", "trace_metric"}
_BATCH_CONTENT_TYPES = {
    "span": "application/vnd.sentry.items.span.v2+json",
    "log": "application/vnd.sentry.items.log+json",
    "trace_metric": "application/vnd.sentry.items.trace-metric+json",
}
_LOG_LEVELS = {"trace", "debug", "info", "warn", "error", "fatal"}
_METRIC_TYPES = {"counter", "gauge", "distribution"}
_ATTRIBUTE_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "double": float,
    "boolean": bool,
    "array": list,
}


@dataclass
class Reply:
    """How to answer one request.

    ``delay``: wait before answering. ``hang``: read the request, never answer, close the
    connection after that many seconds. ``reset``: read half the body, then reset the
    connection (TCP RST) without answering.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hang: float = 0.0
    reset: bool = False


@dataclass
class ReceivedItem:
    headers: dict[str, Any]
    payload: bytes
    json: Any = None  # the decoded payload when it is JSON

    @property
    def type(self) -> str:
        return str(self.headers["type"])


@dataclass
class ReceivedEnvelope:
    project_id: str
    headers: dict[str, Any]
    items: list[ReceivedItem]
    http_headers: dict[str, str]
    gzipped: bool
    wire_bytes: int  # the body size as sent (compressed when gzipped)
    connection: tuple[str, int]  # the client's address: one per TCP connection


@dataclass
class Request:
    """Every POST, however it was answered (``status`` None: reset or left hanging)."""

    path: str
    status: int | None
    connection: tuple[str, int]
    envelope: ReceivedEnvelope | None
    error: str | None


class EnvelopeError(ValueError):
    """The request is not what Sentry would accept."""


def _json(data: bytes, what: str) -> Any:
    def no_constants(name: str) -> Any:
        raise EnvelopeError(f"{what}: {name} is not JSON")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EnvelopeError(f"{what}: invalid JSON ({error})") from None


def _check_auth(value: str | None, public_key: str) -> None:
    if not value or not value.startswith("Sentry "):
        raise EnvelopeError(f"X-Sentry-Auth missing or not 'Sentry ...': {value!r}")
    fields: dict[str, str] = {}
    for part in value[len("Sentry ") :].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep or not key or key in fields:
            raise EnvelopeError(f"X-Sentry-Auth has a malformed field {part!r}")
        fields[key] = val
    expected = {
        "sentry_key": re.escape(public_key),
        "sentry_version": "7",
        "sentry_client": _CLIENT,
    }
    for key, pattern in expected.items():
        if not re.fullmatch(pattern, fields.get(key, "")):
            raise EnvelopeError(f"X-Sentry-Auth {key} is {fields.get(key)!r}")
    unknown = set(fields) - {"sentry_key", "sentry_version", "sentry_client", "sentry_secret"}
    if unknown:
        raise EnvelopeError(f"X-Sentry-Auth has unknown fields {sorted(unknown)}")


def _check_payload(item: ReceivedItem, index: int) -> None:
    content_type = str(item.headers.get("content_type", ""))
    if item.type not in _JSON_TYPES | _BATCH_TYPES and not content_type.endswith("json"):
        return
    item.json = _json(item.payload, f"item {index} ({item.type}) payload")
    if item.type in _BATCH_TYPES:
        entries = item.json.get("items") if isinstance(item.json, dict) else None
        if not isinstance(entries, list):
            raise EnvelopeError(f"item {index} ({item.type}) has no 'items' list")
        if item.headers.get("item_count") != len(entries):
            raise EnvelopeError(f"item {index} item_count does not match {len(entries)} entries")
        if content_type != _BATCH_CONTENT_TYPES[item.type]:
            raise EnvelopeError(f"item {index} ({item.type}) has content_type {content_type!r}")
        if item.type in ("log", "trace_metric"):
            for entry in entries:
                _check_attribute_entry(item.type, entry)
    if item.type == "client_report":
        if not isinstance(item.json.get("timestamp"), int | float):
            raise EnvelopeError("client report has no numeric timestamp")
        for entry in item.json.get("discarded_events", []):
            reason, category, quantity = (entry.get(k) for k in ("reason", "category", "quantity"))
            if not (isinstance(reason, str) and isinstance(category, str)):
                raise EnvelopeError(f"client report entry is malformed: {entry!r}")
            if type(quantity) is not int or quantity <= 0:
                raise EnvelopeError(f"client report quantity is not a positive int: {entry!r}")


def _check_attribute_entry(kind: str, entry: Any) -> None:
    """A log or trace metric as Relay reads it: typed fields, typed attributes, hex ids."""
    if not isinstance(entry, dict):
        raise EnvelopeError(f"{kind} entry is not an object: {entry!r}")
    if type(entry.get("timestamp")) not in (int, float) or entry["timestamp"] <= 0:
        raise EnvelopeError(f"{kind} entry has no positive numeric timestamp: {entry!r}")
    if not re.fullmatch(r"[0-9a-f]{32}", str(entry.get("trace_id"))):
        raise EnvelopeError(f"{kind} entry trace_id is not 32 hex digits: {entry!r}")
    if "span_id" in entry and not re.fullmatch(r"[0-9a-f]{16}", str(entry["span_id"])):
        raise EnvelopeError(f"{kind} entry span_id is not 16 hex digits: {entry!r}")
    if kind == "log":
        if entry.get("level") not in _LOG_LEVELS or not isinstance(entry.get("body"), str):
            raise EnvelopeError(f"log entry has a bad level or body: {entry!r}")
    else:
        if entry.get("type") not in _METRIC_TYPES or type(entry.get("value")) is not float:
            raise EnvelopeError(f"trace_metric entry has a bad type or value: {entry!r}")
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise EnvelopeError(f"trace_metric entry has no name: {entry!r}")
        if "unit" in entry and not isinstance(entry["unit"], str):
            raise EnvelopeError(f"trace_metric entry unit is not a string: {entry!r}")
    attributes = entry.get("attributes")
    if not isinstance(attributes, dict):
        raise EnvelopeError(f"{kind} entry has no attributes object: {entry!r}")
    for name, attribute in attributes.items():
        kind_of = (
            _ATTRIBUTE_TYPES.get(attribute.get("type")) if isinstance(attribute, dict) else None
        )
        value = attribute.get("value") if isinstance(attribute, dict) else None
        if kind_of is None or set(attribute) != {"value", "type"} or type(value) is not kind_of:
            raise EnvelopeError(f"{kind} attribute {name!r} is not typed as Sentry reads it")


def _parse(body: bytes) -> tuple[dict[str, Any], list[ReceivedItem]]:
    """Strict envelope framing: header line, then (item header line, payload[, newline])*."""
    lines = body.split(b"\n", 1)
    headers = _json(lines[0], "envelope header")
    if not isinstance(headers, dict):
        raise EnvelopeError("envelope header is not an object")
    event_id = headers.get("event_id")
    if event_id is not None and not re.fullmatch(r"[0-9a-f]{32}", str(event_id)):
        raise EnvelopeError(f"envelope event_id is not 32 hex digits: {event_id!r}")
    rest = lines[1] if len(lines) > 1 else b""
    items: list[ReceivedItem] = []
    while rest:
        index = len(items)
        header_line, newline, rest = rest.partition(b"\n")
        if not newline:
            raise EnvelopeError(f"item {index} header is not followed by a newline")
        item_headers = _json(header_line, f"item {index} header")
        if not isinstance(item_headers, dict) or not isinstance(item_headers.get("type"), str):
            raise EnvelopeError(f"item {index} header is not an object with a 'type'")
        length = item_headers.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            if type(length) is not int or length < 0:
                raise EnvelopeError(f"item {index} length is invalid: {length!r}")
            if len(rest) < length:
                raise EnvelopeError(f"item {index} length {length} > {len(rest)} bytes left")
            payload, rest = rest[:length], rest[length:]
            if rest and not rest.startswith(b"\n"):
                raise EnvelopeError(f"item {index} payload is longer than its length {length}")
            rest = rest[1:]
        item = ReceivedItem(item_headers, payload)
        _check_payload(item, index)
        items.append(item)
    if not items:
        raise EnvelopeError("envelope has no items")
    return headers, items


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Server
    timeout = 30  # an idle keep-alive connection is dropped after this
    # Headers and body are two writes: with Nagle on, the body waits for the client's
    # delayed ACK (40 ms on Linux), capping a keep-alive sender at ~25 envelopes/s.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        receiver = self.server.receiver
        reply = receiver._next_reply()
        path = urlsplit(self.path).path  # absolute-form when sent through a proxy
        length = int(self.headers.get("Content-Length") or 0)
        if reply.reset:
            self.rfile.read(length // 2)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            receiver._record(Request(path, None, self.client_address, None, None))
            return
        body = self.rfile.read(length)
        envelope, error = None, None
        try:
            envelope = self._envelope(path, body, receiver)
        except EnvelopeError as problem:
            error = str(problem)
        if reply.hang:
            receiver._record(Request(path, None, self.client_address, envelope, error))
            receiver._stopping.wait(reply.hang)
            self.close_connection = True
            return
        if reply.delay:
            receiver._stopping.wait(reply.delay)
        status = 400 if error else reply.status
        receiver._record(Request(path, status, self.client_address, envelope, error))
        answer = json.dumps({"detail": error} if error else {}).encode()
        self.send_response(status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _envelope(self, path: str, body: bytes, receiver: SentryReceiver) -> ReceivedEnvelope:
        match = _PATH.fullmatch(path)
        if not match or match.group(1) != receiver.project_id:
            raise EnvelopeError(f"unexpected path {path!r}")
        if self.headers.get("Transfer-Encoding"):
            raise EnvelopeError("chunked bodies are not expected")
        if self.headers.get("Content-Type") != "application/x-sentry-envelope":
            raise EnvelopeError(f"Content-Type is {self.headers.get('Content-Type')!r}")
        _check_auth(self.headers.get("X-Sentry-Auth"), receiver.public_key)
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as error:
                raise EnvelopeError(f"body is not valid gzip: {error}") from None
        elif encoding not in (None, "identity"):
            raise EnvelopeError(f"unexpected Content-Encoding {encoding!r}")
        headers, items = _parse(body)
        gzipped, wire_bytes = encoding == "gzip", int(self.headers["Content-Length"])
        http_headers, address = dict(self.headers), self.client_address
        return ReceivedEnvelope(
            match.group(1), headers, items, http_headers, gzipped, wire_bytes, address
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: SentryReceiver


class SentryReceiver:
    """A strict Sentry envelope endpoint on 127.0.0.1 (see the module docstring)."""

    def __init__(self, public_key: str = "public", project_id: str = "42", port: int = 0) -> None:
        self.public_key = public_key
        self.project_id = project_id
        self.default = Reply()
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[Request] = []
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.receiver = self
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> SentryReceiver:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dsn(self) -> str:
        return f"http://{self.public_key}@127.0.0.1:{self.port}/{self.project_id}"

    # -- behaviour ---------------------------------------------------------------------
    def reply(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order, then with ``default``."""
        with self._lock:
            self._replies.extend(replies)

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else self.default

    def _record(self, request: Request) -> None:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()

    # -- what arrived ------------------------------------------------------------------
    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[str]:
        return [r.error for r in self.requests if r.error is not None]

    @property
    def envelopes(self) -> list[ReceivedEnvelope]:
        """Valid envelopes answered with 2xx (that is, delivered)."""
        return [
            r.envelope
            for r in self.requests
            if r.envelope is not None and r.status is not None and 200 <= r.status < 300
        ]

    def items(self, type: str | None = None) -> list[ReceivedItem]:
        return [i for e in self.envelopes for i in e.items if type is None or i.type == type]

    def events(self) -> list[dict[str, Any]]:
        return [i.json for i in self.items("event")]

    def transactions(self) -> list[dict[str, Any]]:
        return [i.json for i in self.items("transaction")]

    def logs(self) -> list[dict[str, Any]]:
        """Every log entry of the ``log`` items delivered, in order."""
        return [entry for item in self.items("log") for entry in item.json["items"]]

    def trace_metrics(self) -> list[dict[str, Any]]:
        """Every metric entry of the ``trace_metric`` items delivered, in order."""
        return [entry for item in self.items("trace_metric") for entry in item.json["items"]]

    def client_reports(self) -> list[dict[str, Any]]:
        return [i.json for i in self.items("client_report")]

    def discarded(self, reason: str | None = None, category: str | None = None) -> int:
        """Total quantity reported in delivered client reports, filtered by reason/category."""
        return sum(
            entry["quantity"]
            for report in self.client_reports()
            for entry in report.get("discarded_events", [])
            if reason in (None, entry["reason"]) and category in (None, entry["category"])
        )

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds; raise ``AssertionError`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"condition not met within {timeout}s; {len(self.requests)} request(s), "
                    f"statuses {[r.status for r in self.requests]}, errors {self.errors}"
                )
            with self._changed:
                self._changed.wait(min(remaining, 0.05))
