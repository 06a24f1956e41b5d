"""The ``scopetel_celery`` instrumentor: patches applied when Celery is imported.

* ``celery.app.trace.build_tracer`` (also the name ``celery.worker.consumer.consumer``
  imported from it): the function each task runs through gets a job around each run
  (``worker``);
* ``Celery.send_task``: a producer span and trace headers for every task sent
  (``producer``);
* Celery's ``task_failure`` signal: unhandled task errors (``worker.on_task_failure``);
* ``celery.beat.Scheduler.apply_entry`` and the ``task_success``/``task_failure``/
  ``task_retry`` signals: beat schedules as cron monitors (``beat``);
* the ``worker_init`` and ``beat_init`` signals: a worker or beat process is a server
  for release health (its tasks are sessions; it sends no application session).

Nothing of Celery is imported before the application imports it.
"""

import logging
import os
from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel.instrumentation import (
    ImportHook,
    MethodPatch,
    report_internal_error,
    serving_requests,
)
from scopetel_instrumentation_celery import beat
from scopetel_instrumentation_celery.contrib import supersede_contrib
from scopetel_instrumentation_celery.producer import Propagation, send_task
from scopetel_instrumentation_celery.worker import on_task_failure, wrap_tracer

TRACE_MODULE: Final = "celery.app.trace"
CONSUMER_MODULE: Final = "celery.worker.consumer.consumer"
APP_MODULE: Final = "celery.app.base"
BEAT_MODULE: Final = "celery.beat"
MONITOR_VARIABLE: Final = "SCOPETEL_CELERY_MONITOR_BEAT_TASKS"
EXCLUDE_VARIABLE: Final = "SCOPETEL_CELERY_EXCLUDE_BEAT_TASKS"
LOGGER: Final = logging.getLogger("scopetel")
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
        self.apply_entry: MethodPatch | None = None
        self.signals: list[tuple[Any, str]] = []  # (signal, dispatch_uid)
        self.hooks = (
            ImportHook(TRACE_MODULE, self._apply_trace),
            ImportHook(CONSUMER_MODULE, self._apply_consumer),
            ImportHook(APP_MODULE, self._apply_app),
            ImportHook(BEAT_MODULE, self._apply_beat),
        )

    def _apply_trace(self, module: ModuleType) -> None:
        if TRACE_MODULE not in self.functions:
            self.functions[TRACE_MODULE] = _ModuleFunction(module, "build_tracer")
        if not self.signals:
            from celery import signals  # type: ignore[import-untyped]

            for signal, receiver in (
                (signals.task_failure, on_task_failure),
                (signals.task_success, beat.on_task_success),
                (signals.task_failure, beat.on_task_failure_or_retry),
                (signals.task_retry, beat.on_task_failure_or_retry),
                (signals.worker_init, _serving),
                (signals.beat_init, _serving),
            ):
                uid = f"{__name__}.{receiver.__module__}.{receiver.__name__}"
                signal.connect(receiver, weak=False, dispatch_uid=uid)
                self.signals.append((signal, uid))

    def _apply_consumer(self, module: ModuleType) -> None:
        if CONSUMER_MODULE not in self.functions and hasattr(module, "build_tracer"):
            self.functions[CONSUMER_MODULE] = _ModuleFunction(module, "build_tracer")

    def _apply_app(self, module: ModuleType) -> None:
        if self.send_task is None:
            self.send_task = MethodPatch(module.Celery, "send_task", send_task)

    def _apply_beat(self, module: ModuleType) -> None:
        if self.apply_entry is None:
            self.apply_entry = MethodPatch(module.Scheduler, "apply_entry", beat.apply_entry)

    def enable(self) -> None:
        for hook in self.hooks:
            hook.enable()

    def disable(self) -> None:
        for hook in self.hooks:
            hook.disable()
        for function in self.functions.values():
            function.undo()
        self.functions.clear()
        for patch in (self.send_task, self.apply_entry):
            if patch is not None:
                patch.undo()
        self.send_task = self.apply_entry = None
        for signal, uid in self.signals:
            signal.disconnect(dispatch_uid=uid)
        self.signals.clear()


def _serving(**_: Any) -> None:
    """A worker or beat process starts: release health counts its tasks, not the process."""
    serving_requests()


def _flag(given: object) -> bool:
    """The ``monitor_beat_tasks`` given, else ``SCOPETEL_CELERY_MONITOR_BEAT_TASKS``."""
    if given is not None:
        return bool(given)
    text = os.environ.get(MONITOR_VARIABLE, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text not in ("1", "true", "yes", "on"):
        LOGGER.warning(
            "scopetel: %s=%r is not a boolean; beat is not monitored", MONITOR_VARIABLE, text
        )
        return False
    return True


def _patterns(given: object) -> list[str]:
    """The ``exclude_beat_tasks`` given, else ``SCOPETEL_CELERY_EXCLUDE_BEAT_TASKS``
    (comma-separated regular expressions)."""
    if isinstance(given, str):
        return [given]
    if given is not None:
        return [str(pattern) for pattern in given]  # type: ignore[attr-defined]
    text = os.environ.get(EXCLUDE_VARIABLE, "")
    return [part.strip() for part in text.split(",") if part.strip()]


class CeleryInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """One isolation scope and transaction per task run, trace propagation to tasks,
    unhandled task errors; see the package docstring.

    ``instrument(propagate_traces=False)`` sends tasks without trace headers (as
    sentry_sdk's ``CeleryIntegration``; ``init(propagate_traces=False)`` does it for every
    outgoing request). ``instrument(monitor_beat_tasks=True)`` (or
    ``SCOPETEL_CELERY_MONITOR_BEAT_TASKS=true``) makes Celery beat's schedule entries cron
    monitors, except those matching ``exclude_beat_tasks`` (a list of regular
    expressions, or ``SCOPETEL_CELERY_EXCLUDE_BEAT_TASKS``, comma-separated); see ``beat``.
    """

    _patches = _CeleryPatches()

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("celery >= 5.2",)

    def _instrument(self, **kwargs: Any) -> None:
        beat.BeatMonitoring.configure(
            _flag(kwargs.get("monitor_beat_tasks")), _patterns(kwargs.get("exclude_beat_tasks"))
        )
        Propagation.enabled = bool(kwargs.get("propagate_traces", True))
        supersede_contrib()
        self._patches.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patches.disable()
