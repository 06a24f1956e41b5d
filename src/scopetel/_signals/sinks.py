"""The batches of the active client: where logs and metrics wait before they are sent.

``configure()`` starts a :class:`Sinks` with each new client; the replaced one sends
what it holds through its own client before that client closes.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from scopetel._client import Client
from scopetel._signals import log_entries, metric_entries
from scopetel._signals.attributes import default_attributes
from scopetel._signals.batcher import Batcher
from scopetel._signals.log_entries import PendingLog

LOGGER: Final = logging.getLogger("scopetel")
CALLBACK_ERROR: Final = "callback_error"  # a before_send_log/metric hook raised


@dataclass
class Sinks:
    """The log and metric batchers of one client, and what they share."""

    client: Client
    logs_enabled: bool
    metrics_enabled: bool
    shared: dict[str, Any] = field(init=False)  # default attributes, as given to hooks
    logs: Batcher[PendingLog] = field(init=False)
    metrics: Batcher[PendingLog] = field(init=False)

    def __post_init__(self) -> None:
        client = self.client
        self.shared = default_attributes(client.options)
        shared = self.shared
        self.logs = Batcher(
            log_entries.LOG, log_entries.encoder(shared), client.send, client.record_lost
        )
        self.metrics = Batcher(
            metric_entries.METRIC, metric_entries.encoder(shared), client.send, client.record_lost
        )

    def flush(self) -> None:
        self.logs.flush()
        self.metrics.flush()

    def close(self) -> None:
        self.logs.close()
        self.metrics.close()


_active: Sinks | None = None


def active() -> Sinks | None:
    return _active


def start(client: Client) -> Sinks | None:
    """Make ``client``'s batchers the active ones; returns the replaced :class:`Sinks`
    (the caller closes it before closing its client)."""
    global _active
    options = client.options
    sinks = Sinks(
        client,
        logs_enabled=options.enable_logs and client.sending,
        metrics_enabled=options.enable_metrics and client.sending,
    )
    old, _active = _active, sinks
    return old


def flush() -> None:
    """Send every waiting log and metric of the active client (to its transport)."""
    sinks = _active
    if sinks is not None:
        sinks.flush()


def offer(
    sinks: Sinks,
    batcher: Batcher[PendingLog],
    pending: PendingLog,
    hook: Callable[..., Any] | None,
    size: int,
) -> None:
    """Queue ``pending`` after the user's ``before_send_log``/``before_send_metric``
    ``hook``, which sees the shared attributes too (as with sentry_sdk). A hook that
    returns None drops it (``before_send``); one that raises too (``callback_error``)."""
    if hook is not None:
        data = pending.log
        data["attributes"] = {**sinks.shared, **data["attributes"]}
        pending.shared = False
        try:
            result = hook(data, {})
        except Exception:
            LOGGER.warning("scopetel: %s raised; dropped", _name(hook), exc_info=True)
            batcher.record_lost(CALLBACK_ERROR, pending)
            return
        if result is None:
            batcher.record_lost("before_send", pending)
            return
        if isinstance(result, dict):
            pending.log = result
    batcher.add(pending, size)


def _name(hook: Callable[..., Any]) -> str:
    name = getattr(hook, "__qualname__", None)
    return name if isinstance(name, str) else "a before_send hook"
