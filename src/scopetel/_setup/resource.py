"""The OpenTelemetry resource in Sentry terms.

Sentry has no "service" field. Like sentry-sdk's OpenTelemetry support, scopetel sends
the whole resource as ``contexts.otel.resource`` on events and transactions, and takes
Sentry fields from well-known resource attributes only where the option is unset:

* ``deployment.environment.name`` (or the older ``deployment.environment``) → environment
* ``service.version`` → release
* ``host.name`` → server_name

``service.name`` stays in the resource context: it names the service, not a host.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.util.types import AttributeValue

from scopetel._config.options import Options

_FIELDS: Final = (
    ("environment", ("deployment.environment.name", "deployment.environment")),
    ("release", ("service.version",)),
    ("server_name", ("host.name",)),
)


def _first_text(attributes: Mapping[str, AttributeValue], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


DEFAULT_ENVIRONMENT: Final = "production"


def with_resource_defaults(options: Options, resource: Resource) -> Options:
    """``options`` with unset environment/release/server_name taken from ``resource``.

    An environment set nowhere is ``production``, as sentry_sdk's default.
    """
    attributes = resource.attributes
    updates: dict[str, Any] = {}
    for field, keys in _FIELDS:
        if getattr(options, field) is None:
            value = _first_text(attributes, keys)
            if value is not None:
                updates[field] = value
    if options.environment is None and "environment" not in updates:
        updates["environment"] = DEFAULT_ENVIRONMENT
    return replace(options, **updates)


def _json_value(value: object) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(key): _json_value(inner) for key, inner in value.items()}
    if isinstance(value, Sequence):
        return [_json_value(inner) for inner in value]
    return str(value)


def resource_context(resource: Resource) -> dict[str, Any]:
    """``contexts.otel``: ``{"resource": {attribute: value}}``."""
    attributes = resource.attributes
    return {"resource": {key: _json_value(attributes[key]) for key in attributes}}
