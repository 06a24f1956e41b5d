"""Sends request-mode aggregates once a minute from a daemon thread, and on flush.

The thread starts with the first ended request session of a process (a forked child
starts its own) and never touches the network itself: it hands envelopes to the
client's transport, which queues them.
"""

import threading
from collections.abc import Callable
from typing import Final

from scopetel_exporter_sentry.envelope import Envelope

from scopetel._client import get_client, json_item
from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import guarded
from scopetel._sessions.aggregates import Aggregates

INTERVAL: Final = 60.0
MAX_ITEMS: Final = 100  # items per envelope


class Flusher:
    """Owns the process's :class:`Aggregates` and the thread that sends them."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.aggregates = Aggregates()
        self._interval = interval
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def ensure_running(self) -> None:
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            thread = threading.Thread(target=self._run, name="scopetel-sessions", daemon=True)
            self._thread = thread
        try:
            thread.start()  # outside the lock: a greenlet under gevent, and start() switches
        except RuntimeError:  # interpreter shutting down: the final flush sends them
            with self._lock:
                if self._thread is thread:
                    self._thread = None

    def _run(self) -> None:
        wake = self._wake
        while not wake.wait(self._interval):
            self.flush()

    @guarded(None)
    def flush(self, send: Callable[[Envelope], None] | None = None) -> None:
        """Send what was counted (through the active client unless ``send`` is given)."""
        if not self.aggregates:
            return
        if send is None:
            client = get_client()
            if client is None:
                return
            send = client.send
        payloads = self.aggregates.take()
        for start in range(0, len(payloads), MAX_ITEMS):
            chunk = payloads[start : start + MAX_ITEMS]
            send(Envelope({}, [json_item("sessions", payload) for payload in chunk]))
