"""Keep-alive connections straight to Sentry (no proxy): one ``sendall`` per envelope.

Why not urllib3 (or http.client's request side) here: both write the headers and the body
in two ``send`` calls, two TCP segments that each wake the receiver, and urllib3 adds its
pool manager, URL parsing, header validation and response wrapper. Per envelope that was
about 2.5x the CPU of this module, taken from the application, which shares the GIL with
the sender threads. The request is always the same POST, so its head is built once
(``Content-Length`` aside) and sent with the body in one call; the answer is read by
``_response.read_answer`` (status, the two headers the transport reads, a content-length,
chunked or read-to-the-end body, keep-alive). urllib3 still serves the proxied setups
(``ProxyRoute``).

Each sender thread takes a connection for one request and gives it back; idle ones are
kept (at most ``pool_size``), the most recently used first. Every socket operation
(connecting, sending, each wait for the answer) is bounded by ``timeout``: once connected,
by the kernel (``SO_SNDTIMEO``/``SO_RCVTIMEO`` on a blocking socket) where it can, as a
Python-level timeout polls before every send and receive, and each such call lets the
application thread take the GIL, which the sender then waits for.
"""

import errno
import socket
import ssl
import struct
import sys
import threading
import time
from dataclasses import dataclass

from urllib3.util import wait_for_read

from scopetel_exporter_sentry._response import read_answer
from scopetel_exporter_sentry.dsn import Dsn

__all__ = ["Connections", "HttpResponse", "SocketOption"]

# A connection idle this long is checked (one poll) before reuse: the server may have closed
# it meanwhile. A busier one skips the check: a server closing connections says so in the
# answer (``Connection: close``), or after an idle period of seconds.
IDLE_CHECK = 1.0

SocketOption = tuple[int, int, int]

# Linux's ``struct tcp_info``: ``tcpi_last_data_recv`` (u32, milliseconds since data last
# arrived) and ``tcpi_bytes_received`` (u64, payload bytes so far; Linux 4.1+).
_TCP_INFO = getattr(socket, "TCP_INFO", None) if sys.platform == "linux" else None
_LAST_DATA_RECV, _BYTES_RECEIVED = 52, 128
_INFO_SIZE = _BYTES_RECEIVED + 8


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What the transport needs from a response."""

    status: int
    rate_limits: str | None
    retry_after: str | None


class Connections:
    """A small LIFO of idle keep-alive sockets to the DSN's host; thread-safe."""

    def __init__(
        self,
        dsn: Dsn,
        path: str,
        headers: dict[str, str],
        *,
        timeout: float,
        ca_certs: str | None,
        socket_options: list[SocketOption] | None,
        pool_size: int,
    ) -> None:
        self._host = dsn.host
        https = dsn.scheme == "https"
        self._address = (dsn.host, dsn.port if dsn.port is not None else (443 if https else 80))
        lines = [f"POST {path} HTTP/1.1", f"Host: {dsn.netloc}"]
        lines += (f"{name}: {value}" for name, value in headers.items())
        if any("\r" in line or "\n" in line for line in lines):
            raise ValueError("a request header holds a line break")
        self._head = "".join(line + "\r\n" for line in lines).encode("latin-1")
        self._timeout = timeout
        self._socket_options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        self._socket_options += socket_options or []
        self._pool_size = pool_size
        self._https = https
        self._ca_certs = ca_certs
        self._context: ssl.SSLContext | None = None  # made on the first connection
        self._idle: list[tuple[socket.socket, float]] = []
        # Requests in flight: socket -> the bytes it had received before its request was
        # sent (``_TCP_INFO``), and when that was.
        self._in_flight: dict[socket.socket, tuple[int, float]] = {}
        # Each sender thread's last ``answer_wait``, by thread id (not a threading.local:
        # freeing one inside a collection that sys._current_frames starts hangs CPython).
        self._waits: dict[int, float | None] = {}

    def post(self, body: bytes) -> HttpResponse:
        """POST ``body``; raise ``OSError``/``http.client.HTTPException`` on failure."""
        request = b"%sContent-Length: %d\r\n\r\n%s" % (self._head, len(body), body)
        sock = self._take()
        cut_short = False
        # Taken before sending: once ``sendall`` has given the GIL up, the answer may be
        # in before this thread has the GIL back.
        sent = time.monotonic()
        if _TCP_INFO is not None:
            self._in_flight[sock] = (_tcp_info(sock)[1], sent)  # dict ops are atomic
        try:
            try:
                sock.sendall(request)
            except OSError as error:
                # A server may answer (413 …) and close before reading the whole body.
                if not _may_have_answered(error):
                    raise
                cut_short = True
            answer = read_answer(sock)  # the whole of it: the socket can carry the next
            self._waits[threading.get_ident()] = _answer_wait(sock, sent)
        except BaseException:
            sock.close()
            raise
        finally:
            self._in_flight.pop(sock, None)
        if not (cut_short or answer.will_close) and len(self._idle) < self._pool_size:
            self._idle.append((sock, time.monotonic()))  # list ops are atomic
        else:  # the server closes it (``Connection: close``), or enough are idle
            sock.close()
        return HttpResponse(
            answer.status,
            _text(answer.headers.get(b"x-sentry-rate-limits")),
            _text(answer.headers.get(b"retry-after")),
        )

    def answer_wait(self) -> float | None:
        """How long the calling thread's last request waited for its answer to arrive,
        by the kernel's clock (Linux), without the time its thread then waited for the
        GIL; None where the kernel does not tell, or after it was asked once."""
        return self._waits.pop(threading.get_ident(), None)

    def awaiting_backend(self, older_than: float) -> bool:
        """Whether a request sent ``older_than`` seconds ago or more has had no answer
        yet: its sender waits for the backend, where another request in flight would help.

        A sender slow only because the application keeps the GIL has its answer in
        (read, even, by a ``recv`` that returned without the GIL): then more threads
        would only compete for the GIL. Told by the kernel's count of bytes received on
        the socket (Linux); elsewhere assumed, as the pool grew before.
        """
        if _TCP_INFO is None:
            return True
        since = time.monotonic() - older_than
        for sock, (received, sent) in self._in_flight.copy().items():
            if sent <= since and _tcp_info(sock)[1] == received:
                return True
        return False

    def _take(self) -> socket.socket:
        while self._idle:
            try:
                sock, used = self._idle.pop()
            except IndexError:  # another thread took the last one
                break
            if time.monotonic() - used >= IDLE_CHECK and wait_for_read(sock, timeout=0.0):
                sock.close()  # readable while idle: closed by the server (EOF)
                continue
            return sock
        return self._connect()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self._address, timeout=self._timeout)
        try:
            for level, option, value in self._socket_options:
                sock.setsockopt(level, option, value)
            _kernel_timeouts(sock, self._timeout)
            if self._https:
                sock = self._tls().wrap_socket(sock, server_hostname=self._host)
        except BaseException:
            sock.close()
            raise
        return sock

    def _tls(self) -> ssl.SSLContext:
        """Verifies the certificate and host name against ``ca_certs`` or the system's
        store. Made when first needed: an unreadable ``ca_certs`` fails the sends (counted
        as ``network_error``), not the application's start."""
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self._ca_certs)
        return self._context

    def clear(self) -> None:
        """Close the idle connections (one in use rejoins them when its request ends)."""
        while self._idle:
            try:
                sock, _ = self._idle.pop()
            except IndexError:
                break
            sock.close()

    def forget(self) -> None:
        """After fork: drop the parent's connections (closing the child's copies of the
        descriptors leaves the parent's connections open)."""
        self._idle, idle = [], self._idle
        for sock, _ in idle:
            sock.close()


def _tcp_info(sock: socket.socket) -> tuple[float | None, int]:
    """(seconds since data last arrived, payload bytes received) from ``_TCP_INFO``, or
    (None, -1) where the socket does not tell (closed meanwhile, an older kernel)."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, _TCP_INFO or 0, _INFO_SIZE)
    except (OSError, ValueError):
        return None, -1
    if len(info) < _INFO_SIZE:
        return None, -1
    (since_ms,) = struct.unpack_from("I", info, _LAST_DATA_RECV)
    (received,) = struct.unpack_from("Q", info, _BYTES_RECEIVED)
    return since_ms / 1000, received


def _answer_wait(sock: socket.socket, sent: float) -> float | None:
    """Seconds from ``sent`` until the answer's last bytes arrived (``_TCP_INFO``)."""
    if _TCP_INFO is None:
        return None
    now = time.monotonic()
    since, _ = _tcp_info(sock)
    return None if since is None else max(0.0, now - sent - since)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _kernel_timeouts(sock: socket.socket, timeout: float) -> None:
    """Make ``sock`` blocking with send/receive timeouts enforced by the kernel (a timed-out
    call raises ``BlockingIOError``); keep Python's timeout where that is not available."""
    if sys.platform == "win32":
        return
    seconds = int(timeout)
    timeval = struct.pack("ll", seconds, int((timeout - seconds) * 1_000_000))
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
    except OSError:
        return
    sock.settimeout(None)


def _may_have_answered(error: OSError) -> bool:
    """Whether a failed send may still have an answer to read (as urllib3 does)."""
    return isinstance(error, BrokenPipeError) or error.errno in (
        errno.ECONNRESET,
        errno.EPROTOTYPE,  # macOS, for a reset connection
    )
