"""Event-loop health as OpenTelemetry metrics (through the metrics API).

- ``python.asyncio.loop.lag`` (histogram, s): how late a timer set ``lag_interval``
  seconds ahead actually ran: the time callbacks waited because the loop was busy.
  One timer per running loop (a ``call_later`` chain, not a task: it never shows in
  ``asyncio.all_tasks()`` and never keeps a loop alive).
- ``python.asyncio.tasks.alive`` (gauge, {task}): tasks not done, over the loops seen
  running; counted only when a metric reader collects.
- ``python.asyncio.callbacks.slow`` (counter, {callback}): loop callbacks that ran
  longer than ``slow_callback_threshold``, with the attribute
  ``python.asyncio.callback``: the callback's name (``Task <coroutine>`` for a task
  step). Timing every callback costs a little on each one, so it is off by default.

The users' exporters and readers decide where they go (``OTEL_METRICS_EXPORTER``, or a
``meter_provider`` given to ``instrument()``); without a MeterProvider they cost the
timer only.
"""

import asyncio
import contextlib
import functools
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Final

from opentelemetry import metrics

from scopetel.instrumentation import VERSION, report_internal_error
from scopetel_instrumentation_stdlib._asyncio_names import callback_name
from scopetel_instrumentation_stdlib._loops import known_loops

METER_NAME: Final = "scopetel.asyncio"
LAG: Final = "python.asyncio.loop.lag"
TASKS_ALIVE: Final = "python.asyncio.tasks.alive"
SLOW_CALLBACKS: Final = "python.asyncio.callbacks.slow"
CALLBACK_ATTRIBUTE: Final = "python.asyncio.callback"
LAG_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class LagMonitor:
    """A self-rescheduling timer on one loop; records how late each firing is."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, interval: float, histogram: metrics.Histogram
    ) -> None:
        self._loop = loop
        self._interval = interval
        self._histogram = histogram
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    def start(self) -> None:
        self._due = self._loop.time() + self._interval
        self._handle = self._loop.call_at(self._due, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        try:
            now = self._loop.time()
            self._histogram.record(max(0.0, now - self._due))
            self._due = now + self._interval
            self._handle = self._loop.call_at(self._due, self._tick)
        except Exception:
            self._handle = None
            report_internal_error("asyncio lag monitor")


class LoopHealth:
    """The instruments, and a lag monitor per running loop."""

    def __init__(
        self,
        meter_provider: metrics.MeterProvider | None,
        lag_interval: float,
        loop_metrics: bool,
        slow_callback_threshold: float | None,
    ) -> None:
        meter = metrics.get_meter(METER_NAME, VERSION, meter_provider)
        self.active = True
        self.lag_interval = lag_interval
        self.slow_callback_threshold = slow_callback_threshold
        self._monitors: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LagMonitor] = (
            weakref.WeakKeyDictionary()
        )
        self._lag: metrics.Histogram | None = None
        if loop_metrics:
            self._lag = meter.create_histogram(
                LAG,
                unit="s",
                description="How late the event loop ran a timer that was due.",
                explicit_bucket_boundaries_advisory=LAG_BUCKETS,
            )
            meter.create_observable_gauge(
                TASKS_ALIVE,
                callbacks=[self._observe_tasks],
                unit="{task}",
                description="asyncio tasks not done, over the running event loops.",
            )
        self._slow = meter.create_counter(
            SLOW_CALLBACKS,
            unit="{callback}",
            description="Event-loop callbacks slower than the configured threshold.",
        )

    def watch(self, loop: asyncio.AbstractEventLoop) -> LagMonitor | None:
        """Start the lag timer on ``loop`` (about to run, in its thread); None if on already."""
        if self._lag is None or not self.active or loop.is_closed() or loop in self._monitors:
            return None
        monitor = LagMonitor(loop, self.lag_interval, self._lag)
        self._monitors[loop] = monitor
        monitor.start()
        return monitor

    def unwatch(self, loop: asyncio.AbstractEventLoop, monitor: LagMonitor) -> None:
        monitor.stop()
        if self._monitors.get(loop) is monitor:
            del self._monitors[loop]

    def close(self) -> None:
        """Stop recording (instruments cannot be unregistered from a meter)."""
        self.active = False
        for loop, monitor in list(self._monitors.items()):
            with contextlib.suppress(RuntimeError):  # closed meanwhile: nothing to stop
                loop.call_soon_threadsafe(monitor.stop)
        self._monitors.clear()

    def _observe_tasks(self, options: metrics.CallbackOptions) -> Iterable[metrics.Observation]:
        if not self.active:
            return []
        try:
            alive = sum(len(asyncio.all_tasks(loop)) for loop in known_loops())
        except Exception:
            report_internal_error("asyncio tasks gauge")
            return []
        return [metrics.Observation(alive)]

    def count_slow(self, handle: asyncio.Handle) -> None:
        try:
            name = callback_name(getattr(handle, "_callback", None))
            self._slow.add(1, {CALLBACK_ATTRIBUTE: name})
        except Exception:
            report_internal_error("asyncio slow callback")


def wrap_handle_run(health: LoopHealth, threshold: float) -> Callable[[Any], Any]:
    """A wrapper factory for ``asyncio.Handle._run`` that times each callback."""

    def wrap(original: Callable[[asyncio.Handle], None]) -> Callable[[asyncio.Handle], None]:
        clock = time.perf_counter

        @functools.wraps(original)
        def _run(self: asyncio.Handle) -> None:
            start = clock()
            original(self)
            if clock() - start >= threshold and health.active:
                health.count_slow(self)

        return _run

    return wrap
