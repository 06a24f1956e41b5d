"""Default instrumentors: scopetel's own, found through entry points, like sentry_sdk's
default integrations.

Every distribution under ``instrumentors/`` registers its OTel ``BaseInstrumentor`` in the
``opentelemetry_instrumentor`` group with a name prefixed ``scopetel_``. ``init()``
instruments each one installed unless it is disabled by ``disabled_integrations`` or
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`` (either the full or the unprefixed name).
Under ``opentelemetry-instrument`` the auto-instrumentation loads them instead.
"""

import logging
import os
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Final

from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

from scopetel._internal_errors import report_internal_error

LOGGER: Final = logging.getLogger("scopetel")
GROUP: Final = "opentelemetry_instrumentor"
PREFIX: Final = "scopetel_"

REPLACEMENTS: Final = {
    "sqlalchemy": "scopetel_sqlalchemy",
    "flask": "scopetel_flask",
    "fastapi": "scopetel_asgi",
    "starlette": "scopetel_asgi",  # FastAPI subclasses the Starlette class it patches
}
"""Contrib instrumentors (entry point names) that scopetel's own replace when installed
and enabled: the same spans (Flask, FastAPI, Starlette: the server span, its HTTP
metrics and excluded URLs, without contrib's second span under it), for less. Disabling
ours brings contrib's back (``scopetel_asgi``: contrib's alone, the ASGI layer goes too)."""


def scopetel_entry_points() -> list[EntryPoint]:
    return [ep for ep in entry_points(group=GROUP) if ep.name.startswith(PREFIX)]


def disabled_names(configured: Iterable[str]) -> set[str]:
    from_env = os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "")
    names = {name.strip() for name in from_env.split(",") if name.strip()}
    names.update(configured)
    return names | {PREFIX + name for name in names if not name.startswith(PREFIX)}


def usable(name: str) -> bool:
    """Whether the ``opentelemetry_instrumentor`` entry point ``name`` is installed and
    its library is (in a version it instruments)."""
    for entry_point in entry_points(group=GROUP, name=name):
        try:
            dependencies = entry_point.load()().instrumentation_dependencies()
        except Exception:
            report_internal_error(f"loading {name}")
            return False
        return get_dependency_conflicts(dependencies) is None
    return False


def replacement(contrib_name: str, disabled: Iterable[str]) -> str | None:
    """scopetel's instrumentor replacing contrib's ``contrib_name``, when usable and not
    disabled (by name, in ``disabled`` or ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``)."""
    ours = REPLACEMENTS.get(contrib_name)
    if ours is None or ours in disabled_names(disabled) or not usable(ours):
        return None
    return ours


def instrument_defaults(disabled: Iterable[str]) -> list[str]:
    """Instrument every installed scopetel instrumentor not disabled; their names."""
    skip = disabled_names(disabled)
    enabled: list[str] = []
    for entry_point in scopetel_entry_points():
        if entry_point.name in skip:
            continue
        try:
            instrumentor = entry_point.load()()
            conflict = get_dependency_conflicts(instrumentor.instrumentation_dependencies())
            if conflict is not None:  # e.g. gevent not installed: nothing to instrument
                LOGGER.debug("scopetel: %s not enabled: %s", entry_point.name, conflict)
                continue
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument()
            enabled.append(entry_point.name)
        except Exception:
            report_internal_error(f"instrumenting {entry_point.name}")
    return enabled
