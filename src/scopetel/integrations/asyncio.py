"""``sentry_sdk.integrations.asyncio``: exceptions that reach an event loop's handler."""

from scopetel.integrations._instrumentor_integration import InstrumentorIntegration


class AsyncioIntegration(InstrumentorIntegration):
    """A task's exception nobody retrieved, or a failing callback, becomes an unhandled
    event (mechanism ``asyncio``), through ``scopetel_asyncio``.

    Accepted without effect: ``task_spans`` (no span per task: a task's spans are
    children of the span that created it).
    """

    identifier = "asyncio"
    instrumentors = ("scopetel_asyncio",)
    without_effect = {"task_spans": True}

    def __init__(self, task_spans: bool = True) -> None:
        self.task_spans = task_spans
