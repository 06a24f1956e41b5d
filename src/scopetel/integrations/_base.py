"""The ``Integration`` base class and ``DidNotEnable``, shaped like sentry_sdk's."""

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
    """Raise :class:`DidNotEnable` unless ``module`` can be imported (without importing it)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise DidNotEnable(f"{what} is not installed")


def changed(values: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The ``values`` that differ from sentry_sdk's ``defaults``: what the user chose.

    Only those are handed to an instrumentor, so its own settings (environment
    variables) still apply to everything the user left alone.
    """
    return {name: value for name, value in values.items() if value != defaults.get(name)}


def accept(integration: Integration, defaults: Mapping[str, Any]) -> None:
    """One debug line naming the options of ``integration`` that have no effect with
    scopetel and were changed from sentry_sdk's ``defaults`` (attribute name -> default)."""
    values = {name: getattr(integration, name, None) for name in defaults}
    given = changed(values, defaults)
    if given:
        names = ", ".join(sorted(given))
        LOGGER.debug(
            "scopetel: %s: option(s) %s accepted without effect", integration.identifier, names
        )
