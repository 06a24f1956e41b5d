"""Request bodies on events and transactions, by ``max_request_body_size``.

The body is not read by scopetel: it is recorded as the application reads it (WSGI:
``wsgi.input`` is wrapped; ASGI: the ``http.request`` messages it receives are copied),
up to the size allowed, so streaming uploads and applications that read the body
themselves are unaffected. A body larger than allowed (by ``Content-Length``, or once it
passes the limit) is not sent. What is sent is the parsed body of JSON and form
(``application/x-www-form-urlencoded``) requests, like sentry_sdk, then scrubbed like any
request data (``password`` … ``[Filtered]``); raw and multipart bodies are not sent.
"""

import json
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import parse_qsl

from scopetel._client import get_client
from scopetel._serialize import JSONValue
from scopetel._web.info import RequestInfo

LIMITS: Final = {"never": 0, "small": 1_000, "medium": 10_000, "always": 1_000_000}
"""Bytes kept per ``max_request_body_size``; ``always`` stops at 1 MB (what Sentry takes
in one event)."""
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM: Final = "application/x-www-form-urlencoded"


class BodyRecorder:
    """The first bytes of a request body, as the application reads them."""

    __slots__ = ("_chunks", "_size", "content_type", "limit", "overflow")

    def __init__(self, limit: int, content_type: str) -> None:
        self.limit = limit
        self.content_type = content_type
        self.overflow = False
        self._chunks: list[bytes] = []
        self._size = 0

    def feed(self, chunk: object) -> None:
        if self.overflow or not isinstance(chunk, (bytes, bytearray)) or not chunk:
            return
        self._size += len(chunk)
        if self._size > self.limit:
            self.overflow = True
            self._chunks.clear()
        else:
            self._chunks.append(bytes(chunk))

    def data(self) -> JSONValue:
        """The parsed body; None when there is none to send."""
        if self.overflow or not self._chunks:
            return None
        body = b"".join(self._chunks)
        try:
            if self.content_type == _FORM:
                pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
                form: dict[str, JSONValue] = {}
                for key, value in pairs:
                    known = form.get(key)
                    form[key] = value if known is None else [*_listed(known), value]
                return form
            parsed: JSONValue = json.loads(body)
            return parsed
        except ValueError:
            return None


def _listed(value: JSONValue) -> list[JSONValue]:
    return list(value) if isinstance(value, list) else [value]


def recorder_for(info: RequestInfo) -> BodyRecorder | None:
    """A recorder when the body may be sent, by method, content type and size."""
    if info.method not in _BODY_METHODS:
        return None
    content_type = (info.header("content-type") or "").split(";", 1)[0].strip().lower()
    if content_type != _FORM and not (
        content_type == "application/json" or content_type.endswith("+json")
    ):
        return None
    client = get_client()
    limit = LIMITS.get(client.options.max_request_body_size, 0) if client is not None else 0
    length = info.header("content-length")
    if not limit or (length is not None and length.isdigit() and int(length) > limit):
        return None
    return BodyRecorder(limit, content_type)


class RecordingInput:
    """A WSGI ``wsgi.input`` that records what the application reads from it."""

    def __init__(self, stream: Any, recorder: BodyRecorder) -> None:
        self._stream = stream
        self._recorder = recorder

    def read(self, *args: Any) -> Any:
        chunk = self._stream.read(*args)
        self._recorder.feed(chunk)
        return chunk

    def readline(self, *args: Any) -> Any:
        line = self._stream.readline(*args)
        self._recorder.feed(line)
        return line

    def readlines(self, *args: Any) -> Any:
        lines = self._stream.readlines(*args)
        for line in lines:
            self._recorder.feed(line)
        return lines

    def __iter__(self) -> Iterator[Any]:
        for line in self._stream:
            self._recorder.feed(line)
            yield line

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._stream, name)
        if name != "readinto":
            return found
        recorder = self._recorder  # only when the stream has it: callers test hasattr

        def readinto(buffer: Any) -> Any:
            count = found(buffer)
            if count:
                recorder.feed(bytes(memoryview(buffer)[:count]))
            return count

        return readinto
