"""``sentry_sdk.integrations.threading``: work in threads keeps its starter's scopes."""

from scopetel.integrations._instrumentor_integration import InstrumentorIntegration


class ThreadingIntegration(InstrumentorIntegration):
    """Threads and thread-pool jobs run in a copy of their starter's Context (spans,
    forked scopes), through ``scopetel_threading``.

    Accepted without effect: ``propagate_scope=False`` and the deprecated
    ``propagate_hub`` (scopetel always hands the starter's Context over, with forked
    scopes, so nothing set in a thread leaks back).
    """

    identifier = "threading"
    instrumentors = ("scopetel_threading",)
    without_effect = {"propagate_scope": True, "propagate_hub": None}

    def __init__(self, propagate_hub: bool | None = None, propagate_scope: bool = True) -> None:
        self.propagate_hub = propagate_hub  # deprecated in sentry_sdk: wins when given
        self.propagate_scope = propagate_scope if propagate_hub is None else propagate_hub
