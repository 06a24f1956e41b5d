"""``sentry_sdk.integrations.celery``: Celery tasks, the messages that start them, and
Celery beat schedules as cron monitors."""

from typing import Any

from scopetel.integrations._base import changed, require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations._instrumentors import instrument
from scopetel.integrations.logging import ignore_logger

require("celery", "Celery")

_DEFAULTS: dict[str, Any] = {
    "propagate_traces": True,
    "monitor_beat_tasks": False,
    "exclude_beat_tasks": None,
}


class CeleryIntegration(InstrumentorIntegration):
    """A scope and transaction per task, ``queue.submit.celery`` spans and the trace in
    the task's headers, through scopetel's ``scopetel_celery`` (OpenTelemetry's Celery
    instrumentation when scopetel's is not installed).

    Honoured (by ``scopetel_celery``): ``propagate_traces``, ``monitor_beat_tasks``
    (beat schedule entries become cron monitors: ``in_progress`` when beat sends the
    task, ``ok``/``error`` when it ends), ``exclude_beat_tasks`` (regular expressions
    of entry names not monitored).
    """

    identifier = "celery"
    library = "celery"
    instrumentors = ("scopetel_celery", "celery")

    def __init__(
        self,
        propagate_traces: bool = True,
        monitor_beat_tasks: bool = False,
        exclude_beat_tasks: list[str] | None = None,
    ) -> None:
        self.propagate_traces = propagate_traces
        self.monitor_beat_tasks = monitor_beat_tasks
        self.exclude_beat_tasks = exclude_beat_tasks

    @staticmethod
    def setup_once() -> None:
        # a worker logs every task's outcome there: noise in breadcrumbs, as in sentry_sdk
        for name in ("celery.worker.job", "celery.app.trace", "celery.redirected"):
            ignore_logger(name)

    def setup(self) -> None:
        """The options go to scopetel's instrumentor; contrib's (superseded by scopetel's
        when both are installed) takes none of them."""
        values = {name: getattr(self, name) for name in _DEFAULTS}
        instrument("scopetel_celery", when_imported=self.library, **changed(values, _DEFAULTS))
        instrument("celery", when_imported=self.library)
