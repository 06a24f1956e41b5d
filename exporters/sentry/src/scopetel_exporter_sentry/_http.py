"""One HTTP POST of an envelope body to Sentry, over a pool of keep-alive connections.

Direct connections are ``_connections`` (a fraction of urllib3's CPU per request);
through a proxy, urllib3's ``ProxyManager``.
"""

import http.client
import logging
import socket
import zlib
from typing import Any, Protocol
from urllib.parse import urlsplit
from urllib.request import getproxies_environment

import urllib3
from urllib3.connection import HTTPConnection

from scopetel_exporter_sentry._connections import Connections, HttpResponse, SocketOption
from scopetel_exporter_sentry.dsn import Dsn

__all__ = [
    "NETWORK_ERRORS",
    "HttpResponse",
    "HttpSender",
    "compress",
    "keep_alive_options",
    "select_proxy",
]

LOGGER = logging.getLogger("scopetel")
ENVELOPE_CONTENT_TYPE = "application/x-sentry-envelope"
# TCP keepalive: probe a connection idle for 30 s every 10 s, give up after 6 probes.
_KEEPALIVE_IDLE, _KEEPALIVE_INTERVAL, _KEEPALIVE_PROBES = 30, 10, 6
# What a failed send raises: refused, reset, timed out, TLS refused, garbled answer.
NETWORK_ERRORS = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
# gzip with a 16 KB window and zlib's memLevel 6 (defaults: 32 KB, 8). The compressor's
# state then takes ~100 KB instead of ~256 KB: on a ~10 KB transaction, at the same level
# and for the same bytes, about half the CPU (setting the larger state up costs more than
# compressing). Bodies past 16 KB lose a little ratio (2-4 % more bytes on 28 KB of events).
_GZIP_WBITS = 16 + 14
_GZIP_MEM_LEVEL = 6


def compress(body: bytes, level: int) -> bytes:
    """``body`` as a gzip stream (no file name, mtime 0)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, _GZIP_WBITS, _GZIP_MEM_LEVEL)
    return compressor.compress(body) + compressor.flush()


def keep_alive_options() -> list[SocketOption]:
    """urllib3's socket options (``TCP_NODELAY``) plus TCP keepalive, where the OS has them.

    Keepalive probes stop NAT gateways and load balancers from silently dropping a pooled
    connection that sat idle, which would cost the next envelope a failed attempt.
    """
    options: list[SocketOption] = [*HTTPConnection.default_socket_options]
    options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
    # TCP_KEEPIDLE on Linux and others; macOS names the same option TCP_KEEPALIVE.
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    for name, value in (
        (idle, _KEEPALIVE_IDLE),
        (getattr(socket, "TCP_KEEPINTVL", None), _KEEPALIVE_INTERVAL),
        (getattr(socket, "TCP_KEEPCNT", None), _KEEPALIVE_PROBES),
    ):
        if name is not None:
            options.append((socket.IPPROTO_TCP, name, value))
    return options


def select_proxy(dsn: Dsn, http_proxy: str | None, https_proxy: str | None) -> str | None:
    """The proxy URL for ``dsn``, or None to connect directly.

    An explicit argument wins (``""`` disables the proxy); ``None`` falls back to the
    ``HTTP_PROXY``/``HTTPS_PROXY`` environment variables, which ``NO_PROXY`` can bypass.
    For an https DSN the https proxy is preferred, then the http one.
    """
    explicit = (https_proxy, http_proxy) if dsn.scheme == "https" else (http_proxy,)
    for value in explicit:
        if value is not None:
            return value or None
    environment = getproxies_environment()
    names = ("https", "http") if dsn.scheme == "https" else ("http",)
    chosen = next((environment[name] for name in names if environment.get(name)), None)
    if chosen is None or _bypassed(dsn, environment.get("no", "")):
        return None
    return chosen


def _bypassed(dsn: Dsn, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (``*``, host names, domain suffixes, ``host:port``) covers ``dsn``."""
    host = dsn.host.lower()
    port = dsn.port if dsn.port is not None else (443 if dsn.scheme == "https" else 80)
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        name = name.strip("[]").removeprefix("*").lstrip(".")
        if not name or (entry_port and entry_port != str(port)):
            continue
        if host == name or host.endswith("." + name):
            return True
    return False


class Route(Protocol):
    """How requests reach Sentry: direct ``Connections``, or ``ProxyRoute``."""

    def post(self, body: bytes) -> HttpResponse: ...

    def awaiting_backend(self, older_than: float) -> bool: ...

    def answer_wait(self) -> float | None: ...

    def clear(self) -> None: ...

    def forget(self) -> None: ...


class ProxyRoute:
    """Through a proxy, with urllib3's ``ProxyManager`` (``CONNECT`` tunnels for https)."""

    def __init__(
        self,
        dsn: Dsn,
        headers: dict[str, str],
        proxy: str,
        *,
        timeout: float,
        ca_certs: str | None,
        **options: Any,
    ) -> None:
        self._url = dsn.envelope_url
        self._headers = headers
        self._timeout = urllib3.Timeout(total=timeout)
        if ca_certs is not None:
            options.update(ca_certs=ca_certs, cert_reqs="CERT_REQUIRED")
        if options.get("socket_options") is None:
            options.pop("socket_options", None)  # None would drop urllib3's TCP_NODELAY
        # One connection per sender thread; ``block=False``: never wait for a connection.
        self._options = dict(num_pools=2, block=False, retries=False, **options)
        self._proxy = proxy
        self._manager = urllib3.ProxyManager(proxy, **self._options)

    def awaiting_backend(self, older_than: float) -> bool:
        """Unknown through urllib3's pool: assumed, so the pool grows on slow sends."""
        return True

    def answer_wait(self) -> float | None:
        return None

    def post(self, body: bytes) -> HttpResponse:
        response = self._manager.request(
            "POST",
            self._url,
            body=body,
            headers=dict(self._headers),
            timeout=self._timeout,
            retries=False,
            redirect=False,
            preload_content=True,  # reads the body, so the connection goes back to the pool
        )
        return HttpResponse(
            status=response.status,
            rate_limits=response.headers.get("X-Sentry-Rate-Limits"),
            retry_after=response.headers.get("Retry-After"),
        )

    def clear(self) -> None:
        self._manager.clear()

    def forget(self) -> None:
        self._manager = urllib3.ProxyManager(self._proxy, **self._options)


class HttpSender:
    """Builds the request (auth, gzip) and sends it; ``NETWORK_ERRORS`` reach the caller."""

    def __init__(
        self,
        dsn: Dsn,
        *,
        client: str,
        timeout: float,
        gzip_level: int,
        proxy: str | None,
        ca_certs: str | None,
        pool_size: int = 1,
        keep_alive: bool = False,
    ) -> None:
        self._gzip_level = gzip_level
        headers = {
            "Content-Type": ENVELOPE_CONTENT_TYPE,
            "X-Sentry-Auth": dsn.auth_header(client),
            "User-Agent": client,
        }
        if gzip_level > 0:
            headers["Content-Encoding"] = "gzip"
        socket_options = keep_alive_options() if keep_alive else None
        self._route: Route
        if proxy:
            self._route = ProxyRoute(
                dsn,
                headers,
                proxy,
                timeout=timeout,
                ca_certs=ca_certs,
                maxsize=pool_size,
                socket_options=socket_options,
            )
        else:
            self._route = Connections(
                dsn,
                urlsplit(dsn.envelope_url).path,
                headers,
                timeout=timeout,
                ca_certs=ca_certs,
                socket_options=socket_options,
                pool_size=pool_size,
            )

    def send(self, body: bytes) -> HttpResponse:
        """POST ``body`` (gzipped when enabled); raise one of ``NETWORK_ERRORS`` on failure."""
        if self._gzip_level > 0:
            body = compress(body, self._gzip_level)
        return self._route.post(body)

    def awaiting_backend(self, older_than: float) -> bool:
        """Whether a request in flight for ``older_than`` seconds still waits for its
        answer (``Connections.awaiting_backend``)."""
        return self._route.awaiting_backend(older_than)

    def answer_wait(self) -> float | None:
        """The calling thread's last answer wait (``Connections.answer_wait``), if known."""
        return self._route.answer_wait()

    def reset_after_fork(self) -> None:
        """Forget the parent's connections (without closing them)."""
        self._route.forget()

    def close(self) -> None:
        try:
            self._route.clear()
        except Exception:  # closing sockets must never fail shutdown
            LOGGER.debug("scopetel: error while closing the HTTP connections", exc_info=True)
