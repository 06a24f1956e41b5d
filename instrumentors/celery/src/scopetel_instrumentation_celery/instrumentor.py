"""The ``scopetel_celery`` instrumentor: patches applied when Celery is imported.

* ``celery.app.trace.build_tracer`` (also the name ``celery.worker.consumer.consumer``
  imported from it): the function each task runs through gets a job around each run
  (``worker``);
* ``Celery.send_task``: a producer span and trace headers for every task sent
  (``producer``);
* Celery's ``task_failure`` signal: unhandled task errors (``worker.on_task_failure``).

Nothing of Celery is imported before the application imports it.
"""

from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel.instrumentation import ImportHook, MethodPatch, report_internal_error
from scopetel_instrumentation_celery.contrib import supersede_contrib
from scopetel_instrumentation_celery.producer import Propagation, send_task
from scopetel_instrumentation_celery.worker import on_task_failure, wrap_tracer

TRACE_MODULE: Final = "celery.app.trace"
CONSUMER_MODULE: Final = "celery.worker.consumer.consumer"
APP_MODULE: Final = "celery.app.base"
_MARK: Final = "_scopetel_wrapped"


def _wrapping(build_tracer: Callable[..., Any]) -> Callable[..., Any]:
    """``build_tracer`` whose result runs each task in a job."""
    if getattr(build_tracer, _MARK, False):
        return build_tracer

    def build(name: Any, task: Any, *args: Any, **kwargs: Any) -> Any:
        tracer = build_tracer(name, task, *args, **kwargs)
        try:
            return wrap_tracer(task, tracer)
        except Exception:
            report_internal_error("celery build_tracer")
            return tracer

    setattr(build, _MARK, True)
    build.__wrapped__ = build_tracer  # type: ignore[attr-defined]
    return build


class _ModuleFunction:
    """``module.name`` replaced by a wrapping of it, put back by :meth:`undo`."""

    def __init__(self, module: ModuleType, name: str) -> None:
        self.module, self.name = module, name
        self.original = getattr(module, name)
        setattr(module, name, _wrapping(self.original))

    def undo(self) -> None:
        setattr(self.module, self.name, self.original)


class _CeleryPatches:
    """What the instrumentor changes in Celery, applied when Celery is imported."""

    def __init__(self) -> None:
        self.functions: dict[str, _ModuleFunction] = {}
        self.send_task: MethodPatch | None = None
        self.signal: Any = None
        self.hooks = (
            ImportHook(TRACE_MODULE, self._apply_trace),
            ImportHook(CONSUMER_MODULE, self._apply_consumer),
            ImportHook(APP_MODULE, self._apply_app),
        )

    def _apply_trace(self, module: ModuleType) -> None:
        if TRACE_MODULE not in self.functions:
            self.functions[TRACE_MODULE] = _ModuleFunction(module, "build_tracer")
        if self.signal is None:
            from celery.signals import task_failure  # type: ignore[import-untyped]

            task_failure.connect(on_task_failure, weak=False, dispatch_uid=__name__)
            self.signal = task_failure

    def _apply_consumer(self, module: ModuleType) -> None:
        if CONSUMER_MODULE not in self.functions and hasattr(module, "build_tracer"):
            self.functions[CONSUMER_MODULE] = _ModuleFunction(module, "build_tracer")

    def _apply_app(self, module: ModuleType) -> None:
        if self.send_task is None:
            self.send_task = MethodPatch(module.Celery, "send_task", send_task)

    def enable(self) -> None:
        for hook in self.hooks:
            hook.enable()

    def disable(self) -> None:
        for hook in self.hooks:
            hook.disable()
        for function in self.functions.values():
            function.undo()
        self.functions.clear()
        if self.send_task is not None:
            self.send_task.undo()
            self.send_task = None
        if self.signal is not None:
            self.signal.disconnect(dispatch_uid=__name__)
            self.signal = None


class CeleryInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """One isolation scope and transaction per task run, trace propagation to tasks,
    unhandled task errors; see the package docstring.

    ``instrument(propagate_traces=False)`` sends tasks without trace headers (as
    sentry_sdk's ``CeleryIntegration``; ``init(propagate_traces=False)`` does it for every
    outgoing request). ``monitor_beat_tasks=True`` is accepted; cron monitors for beat
    schedules are not implemented yet.
    """

    _patches = _CeleryPatches()
    monitor_beat_tasks = False

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("celery >= 5.2",)

    def _instrument(self, **kwargs: Any) -> None:
        # HOOK (crons): with scopetel's crons API, monitor_beat_tasks will turn beat
        # schedules into cron monitors (check-ins around each scheduled run).
        CeleryInstrumentor.monitor_beat_tasks = bool(kwargs.get("monitor_beat_tasks", False))
        Propagation.enabled = bool(kwargs.get("propagate_traces", True))
        supersede_contrib()
        self._patches.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patches.disable()
