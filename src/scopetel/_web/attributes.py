"""Attributes of the server spans scopetel starts: OpenTelemetry's stable HTTP conventions.

``client.address`` identifies a person, so it is only recorded with ``send_default_pii``
(span attributes reach Sentry as the transaction's ``trace`` data).
"""

from typing import Final

from opentelemetry.util.types import AttributeValue

from scopetel._semconv import sentry_attributes as attrs
from scopetel._web.info import RequestInfo

KNOWN_METHODS: Final = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY"}
)
OP: Final = "http.server"


def method_attributes(method: str) -> dict[str, AttributeValue]:
    if method in KNOWN_METHODS:
        return {"http.request.method": method}
    return {"http.request.method": "_OTHER", "http.request.method_original": method}


def span_name(method: str, route: str | None) -> str:
    """``METHOD route``, or ``METHOD`` alone while the route is unknown (low cardinality)."""
    shown = method if method in KNOWN_METHODS else "HTTP"
    return f"{shown} {route}" if route else shown


def server_span_attributes(
    info: RequestInfo, *, origin: str, pii: bool
) -> dict[str, AttributeValue]:
    result = method_attributes(info.method)
    result[attrs.OP] = OP
    result[attrs.ORIGIN] = origin
    result["url.scheme"] = info.scheme
    result["url.path"] = info.path
    if info.query:
        result["url.query"] = info.query
    host, _, port = info.host.rpartition(":") if _has_port(info.host) else (info.host, "", "")
    result["server.address"] = host
    if port.isdigit():
        result["server.port"] = int(port)
    elif info.server_port is not None:
        result["server.port"] = info.server_port
    if info.protocol:
        result["network.protocol.version"] = info.protocol
    agent = info.header("user-agent")
    if agent:
        result["user_agent.original"] = agent
    if pii and info.client_address:
        result["client.address"] = info.client_address
    return result


def _has_port(host: str) -> bool:
    """``example.com:8000`` or ``[::1]:8000``, but not a bare IPv6 address."""
    head, colon, tail = host.rpartition(":")
    return bool(colon) and tail.isdigit() and (not head.startswith("[") or head.endswith("]"))
