"""``sentry_sdk.integrations.asyncio``: exceptions that reach an event loop's handler."""

from scopetel.integrations._base import Integration, accept
from scopetel.integrations._instrumentors import instrument


class AsyncioIntegration(Integration):
    """A task's exception nobody retrieved, or a failing callback, becomes an unhandled
    event (mechanism ``asyncio``), through ``scopetel_asyncio``.

    Accepted without effect: ``task_spans`` (no span per task: a task's spans are
    children of the span that created it).
    """

    identifier = "asyncio"

    def __init__(self, task_spans: bool = True) -> None:
        self.task_spans = task_spans

    def setup(self) -> None:
        instrument("scopetel_asyncio")
        accept(self, {"task_spans": True})
