"""Opt-in exposure of task snapshots: a signal handler that logs one.

Usage
-----

::

    import signal
    from scopetel_instrumentation_stdlib.asyncio_snapshot_signal import install_snapshot_signal

    install_snapshot_signal(signal.SIGUSR1)

or the asyncio instrumentor's ``snapshot_signal`` keyword or
``SCOPETEL_ASYNCIO_SNAPSHOT_SIGNAL=SIGUSR1``. Then ``kill -USR1 <pid>`` logs the
snapshot at WARNING on the ``scopetel.asyncio`` logger (which scopetel's logging
instrumentation never captures), with where the main thread was interrupted: a loop
blocked by synchronous code shows there. Python runs signal handlers in the main
thread only; the handler that was installed before is called after ours.
"""

import logging
import signal
import threading
from types import FrameType
from typing import Any, Final

from scopetel.instrumentation import report_internal_error
from scopetel_instrumentation_stdlib.asyncio_snapshot import (
    FrameInfo,
    frame_info,
    frame_lines,
    snapshot,
)

LOGGER: Final = logging.getLogger("scopetel.asyncio")


def _live_stack(frame: FrameType | None, limit: int) -> tuple[FrameInfo, ...]:
    infos: list[FrameInfo] = []
    while frame is not None and len(infos) < limit:
        infos.append(frame_info(frame))
        frame = frame.f_back
    return tuple(reversed(infos))


class SnapshotSignal:
    """A signal handler that logs a snapshot, chaining to the handler it replaced."""

    def __init__(self, signum: int, max_frames: int = 5) -> None:
        self.signum = signum
        self.max_frames = max_frames
        self._previous: Any = None
        self._installed = False

    def install(self) -> bool:
        """Install (main thread only, as Python requires); whether it was installed."""
        if threading.current_thread() is not threading.main_thread():
            LOGGER.warning(
                "scopetel: the asyncio snapshot signal can only be set up in the main thread"
            )
            return False
        self._previous = signal.signal(self.signum, self._handle)
        self._installed = True
        return True

    def uninstall(self) -> None:
        if not self._installed:
            return
        self._installed = False
        if signal.getsignal(self.signum) == self._handle:
            previous = self._previous if self._previous is not None else signal.SIG_DFL
            signal.signal(self.signum, previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        try:
            text = snapshot(max_frames=self.max_frames).format()
            interrupted = frame_lines(_live_stack(frame, self.max_frames))
            LOGGER.warning("%s\n  main thread interrupted:\n%s", text, "\n".join(interrupted))
        except Exception:
            report_internal_error("asyncio snapshot signal")
        previous = self._previous
        if callable(previous):
            previous(signum, frame)


def install_snapshot_signal(signum: int = signal.SIGUSR1, max_frames: int = 5) -> SnapshotSignal:
    """Log a snapshot whenever the process receives ``signum``; ``.uninstall()`` to stop."""
    handler = SnapshotSignal(signum, max_frames)
    handler.install()
    return handler
