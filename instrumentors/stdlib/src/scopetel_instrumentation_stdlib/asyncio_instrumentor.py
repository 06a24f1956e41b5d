"""asyncio: unhandled exceptions as events, loop-health metrics, task snapshots.

Usage
-----

``scopetel.init()`` enables it with the defaults (entry point ``scopetel_asyncio``); by
hand, with keywords (each also an environment variable, see the README)::

    import signal
    from scopetel_instrumentation_stdlib.asyncio_instrumentor import AsyncioInstrumentor

    AsyncioInstrumentor().instrument(
        loop_metrics=True,              # lag histogram + tasks-alive gauge (on)
        lag_interval=0.5,               # seconds between lag samples
        slow_callback_threshold=0.1,    # count callbacks slower than this (off)
        snapshot_signal=signal.SIGUSR1, # log a task snapshot on this signal (off)
        snapshot_port=8070,             # serve the snapshot as JSON on 127.0.0.1 (off)
        meter_provider=None,            # default: the global MeterProvider
    )

What it does
------------

- Exceptions that reach an event loop's exception handler (a task's exception nobody
  retrieved, a failing callback) become error events with
  ``mechanism {"type": "asyncio", "handled": false}`` (see ``asyncio_errors``); any
  handler set with ``loop.set_exception_handler`` still runs.
- Loop health metrics (see ``asyncio_metrics``).
- Snapshots of the tasks (see ``asyncio_snapshot``), optionally logged on a signal
  (see ``asyncio_snapshot_signal``) or served on a loopback port
  (see ``asyncio_snapshot_http``, which also has routes to mount in an application).

Loops are hooked at class level (``asyncio.BaseEventLoop``: ``call_exception_handler``
and ``run_forever``), so every standard loop is covered, whenever it was created; the
loop running in the instrumenting thread is picked up at once. Loops that do not derive
from ``BaseEventLoop`` (uvloop) are not covered.
"""

import asyncio
import functools
from collections.abc import Callable, Collection
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel.instrumentation import report_internal_error
from scopetel_instrumentation_stdlib import _loops
from scopetel_instrumentation_stdlib._patches import Patches
from scopetel_instrumentation_stdlib._settings import resolve
from scopetel_instrumentation_stdlib.asyncio_errors import wrap_call_exception_handler
from scopetel_instrumentation_stdlib.asyncio_metrics import LagMonitor, LoopHealth, wrap_handle_run
from scopetel_instrumentation_stdlib.asyncio_snapshot_http import (
    SnapshotListener,
    start_snapshot_listener,
)
from scopetel_instrumentation_stdlib.asyncio_snapshot_signal import SnapshotSignal

SETTINGS: Final = (
    "loop_metrics",
    "lag_interval",
    "slow_callback_threshold",
    "snapshot_signal",
    "snapshot_port",
)


class AsyncioInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Unhandled asyncio exceptions as events; loop health metrics; task snapshots."""

    _patches: Patches
    _health: LoopHealth
    _signal: SnapshotSignal | None
    _listener: SnapshotListener | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        values = resolve(kwargs, SETTINGS)
        threshold = values["slow_callback_threshold"]
        health = LoopHealth(
            kwargs.get("meter_provider"), values["lag_interval"], values["loop_metrics"], threshold
        )
        patches = Patches()
        patches.replace(
            asyncio.BaseEventLoop, "call_exception_handler", wrap_call_exception_handler
        )
        patches.replace(asyncio.BaseEventLoop, "run_forever", _wrap_run_forever(health))
        if threshold is not None:
            patches.replace(asyncio.Handle, "_run", wrap_handle_run(health, threshold))
        self._patches, self._health, self._signal = patches, health, None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:  # instrumented from inside a running loop (init() in main())
            _loops.remember(running)
            health.watch(running)
        if values["snapshot_signal"] is not None:
            self._signal = SnapshotSignal(values["snapshot_signal"])
            self._signal.install()
        if values["snapshot_port"] is not None:
            self._listener = start_snapshot_listener(values["snapshot_port"])

    def _uninstrument(self, **kwargs: Any) -> None:
        self._patches.restore()
        self._health.close()
        if self._signal is not None:
            self._signal.uninstall()
            self._signal = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None


def _wrap_run_forever(health: LoopHealth) -> Callable[[Any], Any]:
    def wrap(original: Callable[[asyncio.BaseEventLoop], None]) -> Callable[..., None]:
        @functools.wraps(original)
        def run_forever(self: asyncio.BaseEventLoop) -> None:
            monitor = _started(self, health)
            try:
                original(self)
            finally:
                if monitor is not None:
                    health.unwatch(self, monitor)

        return run_forever

    return wrap


def _started(loop: asyncio.BaseEventLoop, health: LoopHealth) -> LagMonitor | None:
    if loop.is_closed() or loop.is_running():
        return None  # run_forever is about to refuse
    try:
        _loops.remember(loop)
        return health.watch(loop)
    except Exception:
        report_internal_error("asyncio run_forever")
        return None
