"""What OpenTelemetry semantic conventions say about a span, in Sentry's terms.

Contrib instrumentations set semantic-convention attributes, some still the old
names (``http.method``, ``db.statement``), some the stable ones
(``http.request.method``, ``db.query.text``); both are read here. This module
infers Sentry's ``op``, ``description``, status and transaction name/source from
a span's name, kind and attributes; it knows nothing of Sentry's JSON shapes.
"""

from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util.types import AttributeValue

Attrs = Mapping[str, AttributeValue]

# HTTP (stable names first, then the pre-1.21 names)
HTTP_METHOD: Final = ("http.request.method", "http.method")
HTTP_METHOD_ORIGINAL: Final = "http.request.method_original"
HTTP_ROUTE: Final = "http.route"
HTTP_STATUS_CODE: Final = ("http.response.status_code", "http.status_code")
URL_FULL: Final = ("url.full", "http.url")
URL_PATH: Final = ("url.path", "http.target")
URL_SCHEME: Final = ("url.scheme", "http.scheme")
SERVER_ADDRESS: Final = ("server.address", "http.host", "net.peer.name", "net.host.name")
SERVER_PORT: Final = ("server.port", "net.peer.port", "net.host.port")
# Databases
DB_SYSTEM: Final = ("db.system.name", "db.system")
DB_QUERY_TEXT: Final = ("db.query.text", "db.statement")
DB_QUERY_SUMMARY: Final = "db.query.summary"
LEGACY_DB_SYSTEM: Final = "db.system"  # the key Sentry's query insights read
# RPC
RPC_SYSTEM: Final = ("rpc.system.name", "rpc.system")
RPC_SERVICE: Final = "rpc.service"
RPC_GRPC_STATUS: Final = ("rpc.grpc.status_code", "rpc.response.status_code")
# Messaging
MESSAGING_SYSTEM: Final = "messaging.system"
MESSAGING_OPERATION: Final = ("messaging.operation.type", "messaging.operation")


_HTTP_STATUS: Final = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    409: "already_exists",
    429: "resource_exhausted",
    499: "cancelled",
    500: "internal_error",
    501: "unimplemented",
    503: "unavailable",
    504: "deadline_exceeded",
}

# gRPC status codes 0-16, by number; the stable RPC conventions report the names.
_GRPC_STATUS: Final = (
    "ok",
    "cancelled",
    "unknown_error",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal_error",
    "unavailable",
    "data_loss",
    "unauthenticated",
)
SPAN_STATUSES: Final = frozenset({*_GRPC_STATUS, "unknown"})
"""Span statuses Relay accepts (``contexts.trace.status`` and ``spans[].status``)."""

_GRPC_NAMES: Final = {
    "OK": 0,
    "CANCELLED": 1,
    "UNKNOWN": 2,
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9,
    "ABORTED": 10,
    "OUT_OF_RANGE": 11,
    "UNIMPLEMENTED": 12,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "DATA_LOSS": 15,
    "UNAUTHENTICATED": 16,
}

_PUBLISH_OPERATIONS: Final = frozenset({"publish", "send", "create"})
_PROCESS_OPERATIONS: Final = frozenset({"process", "deliver"})


def first_str(attrs: Attrs, keys: tuple[str, ...]) -> str | None:
    """The first non-empty string among ``keys``; other types are ignored."""
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _first_int(attrs: Attrs, keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
    return None


def http_method(attrs: Attrs) -> str | None:
    method = first_str(attrs, HTTP_METHOD)
    if method == "_OTHER":  # stable semconv: unknown methods, the real one kept aside
        original = attrs.get(HTTP_METHOD_ORIGINAL)
        return original if isinstance(original, str) and original else method
    return method


def http_status_code(attrs: Attrs) -> int | None:
    return _first_int(attrs, HTTP_STATUS_CODE)


def scrub_url(url: str) -> str:
    """Drop credentials, query and fragment: descriptions must not carry secrets."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return url.partition("?")[0].partition("#")[0]


def _path_only(target: str) -> str:
    return target.partition("?")[0].partition("#")[0]


def client_url(attrs: Attrs) -> str | None:
    """The URL of an outgoing request, without credentials, query or fragment."""
    full = first_str(attrs, URL_FULL)
    if full is not None:
        return scrub_url(full)
    host = first_str(attrs, SERVER_ADDRESS)
    if host is None:
        return None
    scheme = first_str(attrs, URL_SCHEME) or "http"
    port = _first_int(attrs, SERVER_PORT)
    if port is not None and ":" not in host:
        host = f"{host}:{port}"
    return f"{scheme}://{host}{_path_only(first_str(attrs, URL_PATH) or '')}"


def server_path(attrs: Attrs) -> str | None:
    path = first_str(attrs, URL_PATH)
    if path is not None:
        return _path_only(path)
    full = first_str(attrs, URL_FULL)
    if full is None:
        return None
    try:
        return urlsplit(full).path or "/"
    except ValueError:
        return None


def _http_op_and_description(name: str, kind: SpanKind, attrs: Attrs) -> tuple[str, str]:
    method = http_method(attrs) or ""
    if kind is SpanKind.SERVER:
        where = attrs.get(HTTP_ROUTE)
        if not (isinstance(where, str) and where):
            where = server_path(attrs)
        return "http.server", f"{method} {where}".strip() if where else name
    if kind is SpanKind.CLIENT:
        url = client_url(attrs)
        return "http.client", f"{method} {url}".strip() if url else name
    return "http", name


def _db_op(system: str) -> str:
    # Sentry's query insights exclude db.redis, as its own redis integration does.
    return "db.redis" if system == "redis" else "db"


def _messaging_op(kind: SpanKind, attrs: Attrs) -> str:
    operation = first_str(attrs, MESSAGING_OPERATION)
    if operation in _PUBLISH_OPERATIONS or (operation is None and kind is SpanKind.PRODUCER):
        return "queue.publish"
    if operation in _PROCESS_OPERATIONS or (operation is None and kind is SpanKind.CONSUMER):
        return "queue.process"
    return f"queue.{operation}" if operation else "queue"


def infer_op_and_description(name: str, kind: SpanKind, attrs: Attrs) -> tuple[str | None, str]:
    """Sentry ``op`` and ``description`` from the conventions; ``(None, name)`` if none fit."""
    if http_method(attrs) is not None:
        return _http_op_and_description(name, kind, attrs)
    system = first_str(attrs, DB_SYSTEM)
    if system is not None:
        query = first_str(attrs, DB_QUERY_TEXT) or first_str(attrs, (DB_QUERY_SUMMARY,))
        return _db_op(system), query or name
    if first_str(attrs, RPC_SYSTEM) is not None or first_str(attrs, (RPC_SERVICE,)):
        return "rpc", name
    if first_str(attrs, (MESSAGING_SYSTEM,)) is not None:
        return _messaging_op(kind, attrs), name
    return None, name


def status_for_http_code(code: int) -> str:
    if code < 400:
        return "ok"
    mapped = _HTTP_STATUS.get(code)
    if mapped is not None:
        return mapped
    return "invalid_argument" if code < 500 else "internal_error"


def _grpc_status(attrs: Attrs) -> str | None:
    for key in RPC_GRPC_STATUS:
        value = attrs.get(key)
        code: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            code = value
        elif isinstance(value, str):
            code = int(value) if value.isdigit() else _GRPC_NAMES.get(value.upper())
        if code is not None:
            return _GRPC_STATUS[code] if 0 <= code < len(_GRPC_STATUS) else "unknown_error"
    return None


def infer_status(status_code: StatusCode, attrs: Attrs, explicit: str | None) -> str | None:
    """Sentry status: explicit wins; then OTel OK; then HTTP/gRPC codes; then ERROR.

    Like Sentry's own SDKs (``set_http_status``), an HTTP or gRPC code maps the
    status even when the OTel status is UNSET (OTel leaves 4xx of servers UNSET).
    None when nothing says anything (an UNSET span without a code).
    """
    if explicit in SPAN_STATUSES:
        return explicit
    if status_code is StatusCode.OK:
        return "ok"
    error = status_code is StatusCode.ERROR
    code = http_status_code(attrs)
    inferred = status_for_http_code(code) if code is not None else _grpc_status(attrs)
    if inferred is None or (error and inferred == "ok"):
        return "internal_error" if error else None
    return inferred
