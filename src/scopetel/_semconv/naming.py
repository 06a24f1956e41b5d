"""Transaction (segment) names and their ``transaction_info.source``, from span data."""

from collections.abc import Mapping

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from scopetel._semconv.conventions import HTTP_ROUTE, http_method, server_path
from scopetel._semconv.sentry_attributes import SOURCE

Attrs = Mapping[str, AttributeValue]


class _Naming:
    """How routed HTTP transactions are named (``transaction_naming``), process-wide."""

    explicit: str | None = None  # the option, when given
    sentry = False  # the effective choice


def configure_naming(option: str | None) -> None:
    """A new ``init()``: its ``transaction_naming`` (None: decided by its integrations)."""
    _Naming.explicit = option
    _Naming.sentry = option == "sentry"


def prefer_sentry_names() -> None:
    """A sentry_sdk web framework integration was given to ``init()``: its code expects
    sentry_sdk's names, unless ``transaction_naming`` says otherwise."""
    _Naming.sentry = _Naming.explicit in (None, "sentry")


def sentry_names() -> bool:
    """Whether routed HTTP transactions (and their server spans) take sentry_sdk's names."""
    return _Naming.sentry


def request_name(method: str, route: str, sentry_route: str | None = None) -> str:
    """The transaction name of a request to ``route`` (or to a path, for a request no
    route matched): ``METHOD route``, or, with sentry_sdk's naming, the route alone in
    the framework's sentry_sdk spelling (``sentry_route``, when it differs)."""
    if _Naming.sentry:
        return sentry_route or route
    return f"{method} {route}"


def infer_name_and_source(
    name: str, kind: SpanKind, attrs: Attrs, explicit_source: str | None
) -> tuple[str, str]:
    """Transaction (segment) name and ``transaction_info.source`` of a local root.

    An HTTP server root is named ``METHOD /route/{template}`` (source ``route``),
    or ``METHOD /path`` (source ``url``) without a route, as OpenTelemetry names
    server spans and Sentry's OTel-based SDKs name transactions (without the method
    under sentry_sdk's naming, see :func:`request_name`).
    """
    if explicit_source:
        return name, explicit_source
    method = http_method(attrs)
    if kind is SpanKind.SERVER and method is not None:
        route = attrs.get(HTTP_ROUTE)
        if isinstance(route, str) and route:
            return request_name(method, route), "route"
        path = server_path(attrs)
        if path:
            return request_name(method, path), "url"
    return name, "custom"


def segment_name_and_source(name: str, kind: SpanKind, attributes: Attrs) -> tuple[str, str]:
    """Name and source of a local root, open or finished; an explicit source wins."""
    source = attributes.get(SOURCE)
    return infer_name_and_source(
        name, kind, attributes, source if isinstance(source, str) else None
    )
