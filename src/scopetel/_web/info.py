"""What an incoming HTTP request looks like, read once from a WSGI environ or an ASGI scope.

Both carriers are reduced to one immutable :class:`RequestInfo`, so the request data
of events, the attributes of server spans and the incoming trace headers are derived
the same way whichever server delivered the request.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Self

_MAX_HEADERS: Final = 100  # a request with more headers keeps the first ones
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_SERVER_ENV: Final = ("SERVER_NAME", "SERVER_PORT")


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """One request: method, URL parts, headers (lower-case names, in order), peer."""

    method: str
    scheme: str
    host: str  # as the client addressed it (``Host``), else the server's own name
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    peer: str | None  # the address of the TCP peer (a proxy, possibly)
    server_port: int | None
    protocol: str | None  # HTTP version: "1.1", "2"
    no_query: str | None = None
    """The event's ``query_string`` when the URL has none, as sentry_sdk sends it: the
    environ's ``QUERY_STRING`` (``""``, or ``null`` when the key is absent) for WSGI,
    ``null`` for ASGI."""
    server_env: tuple[tuple[str, str], ...] | None = None
    """The event's ``request.env`` of a WSGI request, as sentry_sdk sends it: the environ's
    ``SERVER_NAME`` and ``SERVER_PORT`` (those present); None for ASGI (no ``env``)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Self:
        """From a PEP 3333 WSGI environ."""
        headers: list[tuple[str, str]] = []
        for key, value in environ.items():
            if len(headers) >= _MAX_HEADERS:
                break
            if not isinstance(key, str) or not isinstance(value, str):
                continue
            if key.startswith("HTTP_"):
                headers.append((key[5:].replace("_", "-").lower(), value))
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                headers.append((key.replace("_", "-").lower(), value))
        scheme = _text(environ.get("wsgi.url_scheme")) or "http"
        port = _port(environ.get("SERVER_PORT"))
        host = _text(environ.get("HTTP_HOST")) or _host_with_port(
            _text(environ.get("SERVER_NAME")) or "localhost", port, scheme
        )
        path = _text(environ.get("SCRIPT_NAME")) + _text(environ.get("PATH_INFO"))
        protocol = _text(environ.get("SERVER_PROTOCOL")).partition("/")[2] or None
        return cls(
            method=_text(environ.get("REQUEST_METHOD")).upper() or "GET",
            scheme=scheme,
            host=host,
            path=path or "/",
            query=_text(environ.get("QUERY_STRING")),
            headers=tuple(headers),
            peer=_text(environ.get("REMOTE_ADDR")) or None,
            server_port=port,
            protocol=protocol,
            no_query="" if "QUERY_STRING" in environ else None,
            server_env=tuple(
                (key, str(environ[key])) for key in _SERVER_ENV if environ.get(key) is not None
            ),
        )

    @classmethod
    def from_asgi(cls, scope: Mapping[str, Any]) -> Self:
        """From an ASGI ``http`` (or ``websocket``) connection scope."""
        headers: list[tuple[str, str]] = []
        raw_headers = scope.get("headers")
        if isinstance(raw_headers, Iterable):
            for pair in raw_headers:
                if len(headers) >= _MAX_HEADERS:
                    break
                try:
                    name, value = pair
                    headers.append((_latin1(name).lower(), _latin1(value)))
                except (TypeError, ValueError):
                    continue
        scheme = _text(scope.get("scheme")) or "http"
        server = scope.get("server")
        server_host, port = _address(server)
        host = next((value for name, value in headers if name == "host"), None)
        if host is None:
            host = _host_with_port(server_host or "localhost", port, scheme)
        query = scope.get("query_string", b"")
        peer, _ = _address(scope.get("client"))
        return cls(
            method=_text(scope.get("method")).upper() or "GET",
            scheme=scheme,
            host=host,
            path=_text(scope.get("path")) or "/",
            query=_latin1(query) if isinstance(query, (bytes, str)) else "",
            headers=tuple(headers),
            peer=peer,
            server_port=port,
            protocol=_text(scope.get("http_version")) or None,
        )

    @property
    def url(self) -> str:
        """``scheme://host/path``, without the query string."""
        return f"{self.scheme}://{self.host}{self.path}"

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower-case)."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def header_lists(self) -> dict[str, list[str]]:
        """Every header as ``name -> [values]``: a carrier for OpenTelemetry propagators."""
        found: dict[str, list[str]] = {}
        for name, value in self.headers:
            found.setdefault(name, []).append(value)
        return found

    @property
    def client_address(self) -> str | None:
        """The client's address: the first ``X-Forwarded-For`` hop, ``X-Real-IP``, or the peer."""
        forwarded = self.header("x-forwarded-for")
        if forwarded:
            first = forwarded.split(",", 1)[0].strip()
            if first:
                return first
        return self.header("x-real-ip") or self.peer


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _latin1(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else ""


def _port(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _address(value: object) -> tuple[str | None, int | None]:
    """``(host, port)`` of an ASGI ``client``/``server`` entry (either may be missing)."""
    if isinstance(value, (list, tuple)) and value:
        host = value[0] if isinstance(value[0], str) else None
        port = _port(value[1]) if len(value) > 1 else None
        return host, port
    return None, None


def _host_with_port(host: str, port: int | None, scheme: str) -> str:
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"
