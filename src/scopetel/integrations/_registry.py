"""Setting up the integrations of one ``init()``, and which ones are enabled.

sentry_sdk's semantics: the integrations given are set up with their options; with
``default_integrations`` the defaults (and, with ``auto_enabling_integrations``, the
auto-enabling ones whose library is installed) are added unless one with the same
identifier was given; ``disabled_integrations`` removes any of them. Each
``setup_once()`` runs once per process per identifier, whichever init() asks first;
scopetel's own integrations then apply their options in ``setup()`` on every init().
An integration that cannot be enabled never stops ``init()``: ``DidNotEnable`` gives a
debug line, anything else is reported as an internal error.

The enabled integrations are listed in every event and transaction
(``sdk.integrations``) and returned by ``get_client().get_integration()``.
"""

import logging
from collections.abc import Mapping
from dataclasses import fields
from typing import Final

from scopetel._client import get_client
from scopetel._config.options import Options
from scopetel._context.scope import Event, Hint
from scopetel._events.assembly import sdk_info
from scopetel._fork_safety import ForkSafeLock
from scopetel._internal_errors import report_internal_error
from scopetel._semconv.naming import prefer_sentry_names
from scopetel._setup.integrations import PREFIX, REPLACEMENTS, disabled_names
from scopetel.integrations import _instrumentors
from scopetel.integrations._base import DidNotEnable, Integration
from scopetel.integrations._defaults import default_classes
from scopetel.scope import add_global_event_processor, restore_global_event_processors

LOGGER: Final = logging.getLogger("scopetel")

WEB_FRAMEWORKS: Final = frozenset(
    {"aiohttp", "django", "falcon", "fastapi", "flask", "pyramid", "quart", "starlette"}
)
"""Identifiers of sentry_sdk's web framework integrations: given to ``init()``, they
make routed transactions take sentry_sdk's names (``transaction_naming``)."""

_lock = ForkSafeLock()
_processed: set[str] = set()  # identifiers whose setup_once() was attempted
_installed: set[str] = set()  # ... and succeeded
_enabled: Mapping[str, Integration] = {}
_listing = False


def enabled_integrations() -> Mapping[str, Integration]:
    """The integrations of the active client, by identifier."""
    return _enabled


def get_integration(name_or_class: str | type[Integration]) -> Integration | None:
    """The enabled integration with this identifier (or of this class), or None."""
    name = name_or_class if isinstance(name_or_class, str) else name_or_class.identifier
    return _enabled.get(name)


def setup_integrations(options: Options, *, hands_off: bool = False) -> Mapping[str, Integration]:
    """Set up the integrations ``options`` ask for; they become the enabled ones.

    ``hands_off``: running under ``opentelemetry-instrument``, which loaded the
    instrumentors itself (integrations only apply options given to them).
    """
    global _enabled
    _list_in_events()
    restore_global_event_processors()
    chosen = {integration.identifier: integration for integration in options.integrations}
    if not chosen.keys().isdisjoint(WEB_FRAMEWORKS):
        prefer_sentry_names()  # code that configures them expects sentry_sdk's names
    if options.default_integrations:
        for cls in default_classes(options.auto_enabling_integrations):
            if cls.identifier not in chosen:
                chosen[cls.identifier] = cls()
    disabled = disabled_names(options.disabled_integrations)
    _instrumentors.begin(disabled, hands_off=hands_off)
    enabled: dict[str, Integration] = {}
    for identifier, integration in chosen.items():
        # scopetel's instrumentor turned off: the integration too, unless it replaces a
        # contrib one (turning it off brings contrib's back)
        own_off = PREFIX + identifier in disabled and identifier not in REPLACEMENTS
        if identifier in disabled or own_off:
            LOGGER.debug("scopetel: integration %s is disabled", identifier)
        elif _set_up(identifier, integration, options):
            enabled[identifier] = integration
    _enabled = enabled
    client = get_client()
    if client is not None:  # for what the pipeline sends (streamed segments' attribute)
        client.integration_names = tuple(sorted(enabled))
    LOGGER.debug("scopetel: integrations enabled: %s", ", ".join(sorted(enabled)) or "none")
    return enabled


def _set_up(identifier: str, integration: Integration, options: Options) -> bool:
    try:
        with _lock:
            if identifier not in _processed:
                _processed.add(identifier)
                type(integration).setup_once()
                _with_options(integration, options)
                _installed.add(identifier)
        if identifier not in _installed:
            return False
        integration.setup()
    except DidNotEnable as reason:
        LOGGER.debug("scopetel: integration %s not enabled: %s", identifier, reason)
        return False
    except Exception:
        report_internal_error(f"setting up integration {identifier}")
        return False
    return True


def _with_options(integration: Integration, options: Options) -> None:
    """sentry_sdk's ``setup_once_with_options(options)`` hook of custom integrations."""
    hook = getattr(integration, "setup_once_with_options", None)
    if callable(hook):
        hook({field.name: getattr(options, field.name) for field in fields(options)})


def _list_in_events() -> None:
    """Once per process: ``sdk.integrations`` in every event and transaction."""
    global _listing
    if not _listing:
        _listing = True
        add_global_event_processor(_add_integrations)


def _add_integrations(event: Event, hint: Hint) -> Event:
    sdk = event.get("sdk")
    if not isinstance(sdk, dict):
        sdk = event["sdk"] = sdk_info()
    sdk["integrations"] = sorted(_enabled)
    return event
