"""``sentry_sdk.integrations.modules``: the installed distributions in error events."""

from importlib import metadata

from scopetel._context.scope import Event, Hint
from scopetel.integrations._base import Integration
from scopetel.integrations._registry import get_integration
from scopetel.scope import add_global_event_processor

_installed: dict[str, str] | None = None


def installed_modules() -> dict[str, str]:
    """Installed distributions (lower-case names) and their versions; computed once per
    process, as sentry_sdk does (distributions installed later are not seen)."""
    global _installed
    if _installed is None:
        found: dict[str, str] = {}
        for distribution in metadata.distributions():
            name = distribution.metadata["Name"]
            version = distribution.version
            if name and version:
                found.setdefault(name.lower(), version)
        _installed = found
    return _installed


class ModulesIntegration(Integration):
    """Adds ``modules`` (name → version of every installed distribution) to error events
    (not to transactions), through a global event processor."""

    identifier = "modules"

    @staticmethod
    def setup_once() -> None:
        add_global_event_processor(_add_modules)


def _add_modules(event: Event, hint: Hint) -> Event:
    if event.get("type") != "transaction" and get_integration(ModulesIntegration) is not None:
        event["modules"] = dict(installed_modules())
    return event
