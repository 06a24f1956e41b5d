"""Transaction (segment) names and their ``transaction_info.source``, from span data."""

from collections.abc import Mapping

from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from scopetel._semconv.conventions import HTTP_ROUTE, http_method, server_path
from scopetel._semconv.sentry_attributes import SOURCE

Attrs = Mapping[str, AttributeValue]


def infer_name_and_source(
    name: str, kind: SpanKind, attrs: Attrs, explicit_source: str | None
) -> tuple[str, str]:
    """Transaction (segment) name and ``transaction_info.source`` of a local root.

    An HTTP server root is named ``METHOD /route/{template}`` (source ``route``),
    or ``METHOD /path`` (source ``url``) without a route, as OpenTelemetry names
    server spans and Sentry's OTel-based SDKs name transactions.
    """
    if explicit_source:
        return name, explicit_source
    method = http_method(attrs)
    if kind is SpanKind.SERVER and method is not None:
        route = attrs.get(HTTP_ROUTE)
        if isinstance(route, str) and route:
            return f"{method} {route}", "route"
        path = server_path(attrs)
        if path:
            return f"{method} {path}", "url"
    return name, "custom"


def segment_name_and_source(name: str, kind: SpanKind, attributes: Attrs) -> tuple[str, str]:
    """Name and source of a local root, open or finished; an explicit source wins."""
    source = attributes.get(SOURCE)
    return infer_name_and_source(
        name, kind, attributes, source if isinstance(source, str) else None
    )
