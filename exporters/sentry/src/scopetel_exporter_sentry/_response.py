"""Read one HTTP/1.x answer to a POST from a socket: status, the headers the transport
reads, and the whole body (so a keep-alive connection can carry the next request).

Why not ``http.client.HTTPResponse``: it parses the head with the ``email`` package, ~35
µs per answer, about a fifth of a sender thread's CPU per envelope (time the application
waits for, since the sender holds the GIL). Sentry's answers are small (a status, a dozen
headers, ``{"id": ...}``), so this reads the head in a few ``recv`` calls and splits it;
bodies come with ``Content-Length``, chunked, or up to the end of the connection.
Anything malformed raises ``BadAnswer`` (an ``http.client.HTTPException``, which the
transport counts as a network error, as before).
"""

import http.client
import socket
from dataclasses import dataclass
from typing import Final

__all__ = ["Answer", "BadAnswer", "read_answer"]

MAX_HEAD: Final = 64 * 1024  # status line + headers
MAX_BODY: Final = 16 * 1024 * 1024  # read and dropped; a larger body ends the connection
_READ: Final = 16 * 1024
_KEPT: Final = frozenset({b"x-sentry-rate-limits", b"retry-after"})
_NO_BODY: Final = frozenset({204, 304})


class BadAnswer(http.client.HTTPException):
    """The server's answer is not HTTP/1.x, or the connection ended within it."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[bytes, bytes]  # lower-case names the transport reads; repeats joined
    will_close: bool  # the server ends the connection after this answer


def read_answer(sock: socket.socket) -> Answer:
    """The final (non-1xx) answer on ``sock``, its body read to the end."""
    buffer = bytearray()
    while True:
        status, version, fields, rest = _head(sock, buffer)
        if not 100 <= status < 200:
            break
        buffer = rest  # an interim answer (100 Continue, 103 Early Hints): the next one
    connection = fields.get(b"connection", b"").lower()
    will_close = b"close" in connection or (
        version == b"HTTP/1.0" and b"keep-alive" not in connection
    )
    if status in _NO_BODY:
        left = rest
    elif b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        left = _chunked(sock, rest)
    elif b"content-length" in fields:
        try:
            length = int(fields[b"content-length"])
        except ValueError:
            raise BadAnswer("invalid Content-Length") from None
        if length < 0:
            raise BadAnswer("invalid Content-Length")
        if length > MAX_BODY:
            return Answer(status, _kept(fields), True)  # not read: the socket is closed
        _exactly(sock, rest, length)
        left = rest[length:]
    else:  # the body ends with the connection
        _to_end(sock, rest)
        return Answer(status, _kept(fields), True)
    # Bytes after the answer belong to no request of ours: the connection is not reused.
    return Answer(status, _kept(fields), will_close or bool(left))


def _kept(fields: dict[bytes, bytes]) -> dict[bytes, bytes]:
    return {name: value for name, value in fields.items() if name in _KEPT}


def _receive(sock: socket.socket, buffer: bytearray) -> bool:
    """Append what arrives to ``buffer``; False at the end of the connection."""
    data = sock.recv(_READ)
    buffer += data
    return bool(data)


def _head(
    sock: socket.socket, buffer: bytearray
) -> tuple[int, bytes, dict[bytes, bytes], bytearray]:
    """(status, version, header fields, what follows the head) of the next answer."""
    start = 0
    while (end := buffer.find(b"\r\n\r\n", start)) < 0:
        if len(buffer) > MAX_HEAD:
            raise BadAnswer("answer head too long")
        start = max(len(buffer) - 3, 0)
        if not _receive(sock, buffer):
            if buffer:
                raise BadAnswer("connection ended within the answer's head")
            raise http.client.RemoteDisconnected("connection ended without an answer")
    lines = bytes(buffer[:end]).split(b"\r\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise BadAnswer(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    fields: dict[bytes, bytes] = {}
    name = b""
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and name:  # an obsolete folded continuation
            fields[name] += b" " + line.strip()
            continue
        name, colon, value = line.partition(b":")
        if not colon:
            raise BadAnswer(f"not a header line: {line[:80]!r}")
        name = name.strip().lower()
        value = value.strip()
        fields[name] = fields[name] + b", " + value if name in fields else value
    return int(parts[1]), parts[0], fields, buffer[end + 4 :]


def _exactly(sock: socket.socket, buffer: bytearray, length: int) -> None:
    while len(buffer) < length:
        if not _receive(sock, buffer):
            raise BadAnswer("connection ended within the answer's body")


def _to_end(sock: socket.socket, buffer: bytearray) -> None:
    total = len(buffer)
    del buffer[:]
    while total <= MAX_BODY and _receive(sock, buffer):
        total += len(buffer)
        del buffer[:]


def _chunked(sock: socket.socket, buffer: bytearray) -> bytearray:
    """Read a chunked body and its trailers; what follows them."""
    total = 0
    while True:
        line = _line(sock, buffer)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadAnswer("invalid chunk size") from None
        total += size
        if size < 0 or total > MAX_BODY:
            raise BadAnswer("invalid chunk size")
        if size == 0:
            while _line(sock, buffer):  # trailers, up to the empty line
                pass
            return buffer
        _exactly(sock, buffer, size + 2)
        if buffer[size : size + 2] != b"\r\n":
            raise BadAnswer("chunk not followed by CRLF")
        del buffer[: size + 2]


def _line(sock: socket.socket, buffer: bytearray) -> bytes:
    """The next CRLF-ended line of ``buffer`` (removed from it), reading as needed."""
    while (end := buffer.find(b"\r\n")) < 0:
        if len(buffer) > MAX_HEAD:
            raise BadAnswer("line too long in a chunked body")
        if not _receive(sock, buffer):
            raise BadAnswer("connection ended within a chunked body")
    line = bytes(buffer[:end])
    del buffer[: end + 2]
    return line
