"""``sentry_sdk.integrations.dedupe``: one event per exception object."""

import contextvars
import logging
import weakref
from typing import Any, Final

from scopetel._context.scope import Event, Hint
from scopetel.integrations._base import Integration
from scopetel.integrations._registry import get_integration
from scopetel.scope import add_global_event_processor

LOGGER: Final = logging.getLogger("scopetel")


class DedupeIntegration(Integration):
    """Drops an error event whose exception is the one the previous event of the same
    Context carried (captured by hand and by a framework, say); a global event
    processor. The drop is counted in client reports (``event_processor``)."""

    identifier = "dedupe"

    def __init__(self) -> None:
        self._last_seen: contextvars.ContextVar[Any] = contextvars.ContextVar("last-seen")

    @staticmethod
    def setup_once() -> None:
        add_global_event_processor(_drop_repeated)

    @staticmethod
    def reset_last_seen() -> None:
        integration = get_integration(DedupeIntegration)
        if isinstance(integration, DedupeIntegration):
            integration._last_seen.set(None)


def _drop_repeated(event: Event, hint: Hint) -> Event | None:
    integration = get_integration(DedupeIntegration)
    exc_info = hint.get("exc_info") if isinstance(hint, dict) else None
    if not isinstance(integration, DedupeIntegration) or not exc_info:
        return event
    error = exc_info[1]
    last = integration._last_seen.get(None)
    if isinstance(last, weakref.ref):
        last = last()
    if last is not None and last is error:
        LOGGER.debug("scopetel: DedupeIntegration dropped a repeated event for %r", error)
        return None
    try:
        integration._last_seen.set(weakref.ref(error))
    except TypeError:
        integration._last_seen.set(error)
    return event
