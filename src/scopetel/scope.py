"""``sentry_sdk.scope``: what integrations import from it.

``add_global_event_processor(processor)`` runs ``processor(event, hint)`` on every event
and transaction (it is an event processor of the global scope, applied before those of
the isolation and current scopes); it returns the processor, so it works as a decorator.
"""

from scopetel._context.active_scopes import get_global_scope
from scopetel._context.scope import EventProcessor, Scope

__all__ = ["Scope", "add_global_event_processor"]


def add_global_event_processor(processor: EventProcessor) -> EventProcessor:
    """Run ``processor`` on every event and transaction of the process."""
    get_global_scope().add_event_processor(processor)
    return processor
