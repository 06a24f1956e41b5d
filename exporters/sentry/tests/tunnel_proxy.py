"""A loopback HTTP proxy that only tunnels (``CONNECT``), for the TLS transport tests.

``TunnelProxy`` listens on 127.0.0.1, answers ``CONNECT host:port`` by connecting to that
address and relaying bytes both ways until either side closes, and records every
``CONNECT`` target in ``tunnels``. Anything else is answered 405. It never sees the
plaintext: the client's TLS session runs end to end through it.
"""

from __future__ import annotations

import select
import socket
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

__all__ = ["TunnelProxy"]


class _Handler(StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        request = self.rfile.readline(65536).decode("latin-1").split()
        while self.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
            pass  # the request's headers
        if len(request) != 3 or request[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = request[1].rpartition(":")
        self.server.proxy.record(request[1])
        try:
            upstream = socket.create_connection((host, int(port)), timeout=5)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            self.wfile.flush()
            _relay(self.connection, upstream, self.server.proxy.stopping)


def _relay(client: socket.socket, upstream: socket.socket, stopping: threading.Event) -> None:
    sockets = [client, upstream]
    while not stopping.is_set():
        readable, _, _ = select.select(sockets, [], [], 0.1)
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (upstream if source is client else client).sendall(data)


class _Server(ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: TunnelProxy


class TunnelProxy:
    """A CONNECT-only proxy on 127.0.0.1 (see the module docstring)."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> TunnelProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def record(self, target: str) -> None:
        with self._lock:
            self.tunnels.append(target)
