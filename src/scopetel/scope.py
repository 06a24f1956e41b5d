"""``sentry_sdk.scope``: ``Scope``, ``ScopeType``, the scope blocks, and what
integrations import from it.

``add_global_event_processor(processor)`` runs ``processor(event, hint)`` on every event
and transaction (it is an event processor of the global scope, applied before those of
the isolation and current scopes); it returns the processor, so it works as a decorator.
As in sentry_sdk, clearing the global scope does not remove it: the next ``init()`` puts
it back (:func:`restore_global_event_processors`).
"""

from enum import Enum

from scopetel._client import get_client
from scopetel._context.active_scopes import (
    get_global_scope,
    isolation_scope,
    new_scope,
    use_isolation_scope,
    use_scope,
)
from scopetel._context.scope import EventProcessor, Scope

__all__ = [
    "Scope",
    "ScopeType",
    "add_global_event_processor",
    "isolation_scope",
    "new_scope",
    "should_send_default_pii",
    "use_isolation_scope",
    "use_scope",
]


class ScopeType(Enum):
    """The kinds of scope (``Scope.kind`` holds the value)."""

    CURRENT = "current"
    ISOLATION = "isolation"
    GLOBAL = "global"
    MERGED = "merged"


def should_send_default_pii() -> bool:
    """Whether the active client sends personal data (``send_default_pii``)."""
    client = get_client()
    return client is not None and client.options.send_default_pii


_global_processors: list[EventProcessor] = []


def add_global_event_processor(processor: EventProcessor) -> EventProcessor:
    """Run ``processor`` on every event and transaction of the process."""
    _global_processors.append(processor)
    get_global_scope().add_event_processor(processor)
    return processor


def restore_global_event_processors() -> None:
    """Add back the global event processors a ``clear()`` of the global scope removed."""
    scope = get_global_scope()
    present = scope.data.event_processors
    for processor in _global_processors:
        if processor not in present:
            scope.add_event_processor(processor)
