"""``sentry_sdk.integrations.celery``: Celery tasks and the messages that start them."""

from scopetel.integrations._base import require
from scopetel.integrations._instrumentor_integration import InstrumentorIntegration
from scopetel.integrations.logging import ignore_logger

require("celery", "Celery")


class CeleryIntegration(InstrumentorIntegration):
    """Task (consumer) and ``apply_async`` (producer) spans, the trace carried in the
    task's headers, through OpenTelemetry's Celery instrumentation
    (``opentelemetry-instrumentation-celery``), and scopetel's ``scopetel_celery`` when
    it is installed.

    Accepted without effect: ``propagate_traces=False`` (the contrib instrumentation
    always carries the trace), ``monitor_beat_tasks``, ``exclude_beat_tasks`` (no cron
    monitors yet).
    """

    identifier = "celery"
    library = "celery"
    instrumentors = ("scopetel_celery", "celery")
    without_effect = {
        "propagate_traces": True,
        "monitor_beat_tasks": False,
        "exclude_beat_tasks": None,
    }

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
