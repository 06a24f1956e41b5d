"""One HTTP POST of an envelope body to Sentry, over a pool of keep-alive urllib3 connections."""

import gzip
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.request import getproxies_environment

import urllib3
from urllib3.connection import HTTPConnection

from scopetel_exporter_sentry.dsn import Dsn

__all__ = ["HttpResponse", "HttpSender", "keep_alive_options", "select_proxy"]

LOGGER = logging.getLogger("scopetel")
ENVELOPE_CONTENT_TYPE = "application/x-sentry-envelope"
SocketOption = tuple[int, int, int]
# TCP keepalive: probe a connection idle for 30 s every 10 s, give up after 6 probes.
_KEEPALIVE_IDLE, _KEEPALIVE_INTERVAL, _KEEPALIVE_PROBES = 30, 10, 6


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


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What the transport needs from a response."""

    status: int
    rate_limits: str | None
    retry_after: str | None


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


class HttpSender:
    """Builds the request (auth, gzip) and sends it; network errors are raised to the caller."""

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
        self._url = dsn.envelope_url
        self._gzip_level = gzip_level
        self._proxy = proxy
        self._ca_certs = ca_certs
        self._pool_size = pool_size
        self._keep_alive = keep_alive
        self._timeout = urllib3.Timeout(total=timeout)
        self._headers = {
            "Content-Type": ENVELOPE_CONTENT_TYPE,
            "X-Sentry-Auth": dsn.auth_header(client),
            "User-Agent": client,
        }
        self._pool = self._new_pool()

    def _new_pool(self) -> urllib3.PoolManager:
        # One connection per sender thread; ``block=False``: never wait for a connection.
        options: dict[str, Any] = {
            "num_pools": 2,
            "maxsize": self._pool_size,
            "block": False,
            "retries": False,
        }
        if self._keep_alive:
            options["socket_options"] = keep_alive_options()
        if self._ca_certs is not None:
            options.update(ca_certs=self._ca_certs, cert_reqs="CERT_REQUIRED")
        if self._proxy:
            return urllib3.ProxyManager(self._proxy, **options)
        return urllib3.PoolManager(**options)

    def send(self, body: bytes) -> HttpResponse:
        """POST ``body`` (gzipped when enabled); raise ``urllib3``/``OSError`` on failure."""
        headers = dict(self._headers)
        if self._gzip_level > 0:
            body = gzip.compress(body, compresslevel=self._gzip_level, mtime=0)
            headers["Content-Encoding"] = "gzip"
        response = self._pool.request(
            "POST",
            self._url,
            body=body,
            headers=headers,
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

    def reset_after_fork(self) -> None:
        """Forget the parent's connections (without closing them) and start a fresh pool."""
        self._pool = self._new_pool()

    def close(self) -> None:
        try:
            self._pool.clear()
        except Exception:  # closing sockets must never fail shutdown
            LOGGER.debug("scopetel: error while closing the HTTP pool", exc_info=True)
