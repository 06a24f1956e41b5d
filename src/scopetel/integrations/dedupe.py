"""``sentry_sdk.integrations.dedupe``: one event per exception object."""

import logging
import threading
import weakref
from typing import Final

from scopetel._context.scope import Event, Hint
from scopetel.integrations._base import Integration
from scopetel.integrations._registry import get_integration
from scopetel.scope import add_global_event_processor

LOGGER: Final = logging.getLogger("scopetel")


class DedupeIntegration(Integration):
    """Drops an error event whose exception is the one the previous event of the same
    Context carried (captured by hand and by a framework, say); a global event
    processor. The drop is counted in client reports (``event_processor``).

    The last exception is remembered per thread (not in a context variable, which events
    captured by finalizers during a garbage collection must not set on CPython < 3.12:
    python/cpython#148891)."""

    identifier = "dedupe"

    def __init__(self) -> None:
        self._last_seen = threading.local()

    @staticmethod
    def setup_once() -> None:
        add_global_event_processor(_drop_repeated)

    @staticmethod
    def reset_last_seen() -> None:
        integration = get_integration(DedupeIntegration)
        if isinstance(integration, DedupeIntegration):
            integration._last_seen.error = None


def _drop_repeated(event: Event, hint: Hint) -> Event | None:
    integration = get_integration(DedupeIntegration)
    exc_info = hint.get("exc_info") if isinstance(hint, dict) else None
    if not isinstance(integration, DedupeIntegration) or not exc_info:
        return event
    error = exc_info[1]
    last = getattr(integration._last_seen, "error", None)
    if isinstance(last, weakref.ref):
        last = last()
    if last is not None and last is error:
        LOGGER.debug("scopetel: DedupeIntegration dropped a repeated event for %r", error)
        return None
    try:
        integration._last_seen.error = weakref.ref(error)
    except TypeError:
        integration._last_seen.error = error
    return event
