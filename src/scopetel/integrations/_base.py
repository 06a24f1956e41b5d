"""The ``Integration`` base class and ``DidNotEnable``, shaped like sentry_sdk's."""

import importlib
import importlib.util
import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Final

LOGGER: Final = logging.getLogger("scopetel")


class DidNotEnable(Exception):
    """The integration cannot be enabled: its library is missing or too old."""


class Integration:
    """Base of every integration.

    ``identifier`` names it (``sdk.integrations`` in events, ``disabled_integrations``).
    ``setup_once()`` runs once per process for each identifier; scopetel's own
    integrations also run :meth:`setup` on every ``init()`` with the options they were
    created with.
    """

    identifier: ClassVar[str] = "unknown"
    install = None  # sentry_sdk's legacy attribute, kept for code that checks it

    @staticmethod
    def setup_once() -> None:
        """Process-wide set-up (patching); called once per identifier."""

    def setup(self) -> None:
        """Per-``init()`` set-up with this instance's options (scopetel's integrations)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.identifier!r}>"


def require(module: str, what: str) -> None:
    """Raise :class:`DidNotEnable` unless ``module`` can be imported."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise DidNotEnable(f"{what} is not installed")


def instrument(target: str, **kwargs: Any) -> bool:
    """Instrument with the OpenTelemetry instrumentor ``"module:Class"``, with ``kwargs``.

    An instrumentor already active is re-instrumented when options are given (the
    integration's options win over the defaults it was started with). False, with a
    debug line, when the instrumentor or its library is not installed.
    """
    module_name, _, class_name = target.partition(":")
    try:
        instrumentor = getattr(importlib.import_module(module_name), class_name)()
    except ImportError as error:
        LOGGER.debug("scopetel: %s is not available (%s)", target, error)
        return False
    from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

    conflict = get_dependency_conflicts(instrumentor.instrumentation_dependencies())
    if conflict is not None:
        LOGGER.debug("scopetel: %s not enabled: %s", target, conflict)
        return False
    if instrumentor.is_instrumented_by_opentelemetry:
        if not kwargs:
            return True
        instrumentor.uninstrument()
    instrumentor.instrument(**kwargs)
    return True


def accepted(integration: str, options: Mapping[str, Any]) -> None:
    """One debug line for options that have no effect with scopetel."""
    given = {name: value for name, value in options.items() if value is not None}
    if given:
        names = ", ".join(sorted(given))
        LOGGER.debug("scopetel: %s: option(s) %s accepted without effect", integration, names)
