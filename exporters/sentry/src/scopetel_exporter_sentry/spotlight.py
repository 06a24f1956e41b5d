"""Envelopes to the Spotlight sidecar (local development), never blocking the caller.

``SpotlightTransport(url)`` keeps a small bounded queue drained by a daemon thread of
its own, which POSTs each envelope to the sidecar (``http://localhost:8969/stream`` by
default) as ``application/x-sentry-envelope``. When the sidecar cannot be reached it
logs one warning, then skips envelopes during a growing back-off (1 s doubling to 60 s)
instead of waiting on the network: Spotlight is a development aid, so what it misses
is not reported to Sentry. A forked child starts with an empty queue and its own thread.
"""

import os
import threading
import time
import weakref
from collections import deque
from functools import partial
from typing import Final

import urllib3

from scopetel_exporter_sentry._http import ENVELOPE_CONTENT_TYPE
from scopetel_exporter_sentry._log import LOGGER, suppressed
from scopetel_exporter_sentry.envelope import Envelope, serialize_envelope

__all__ = ["DEFAULT_SPOTLIGHT_URL", "SpotlightTransport"]

DEFAULT_SPOTLIGHT_URL: Final = "http://localhost:8969/stream"
_BACKOFF_FIRST: Final = 1.0
_BACKOFF_MAX: Final = 60.0


class SpotlightTransport:
    """Sends every captured envelope to a Spotlight sidecar from a background thread."""

    def __init__(self, url: str = DEFAULT_SPOTLIGHT_URL, *, max_queue: int = 100) -> None:
        self.url = url
        self._max_queue = max_queue
        self._closed = False
        self._reset()
        os.register_at_fork(after_in_child=partial(_reset_in_child, weakref.ref(self)))

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[Envelope] = deque()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._pool = urllib3.PoolManager(num_pools=1, maxsize=1, retries=False)
        self._backoff = 0.0
        self._retry_at = 0.0

    def capture_envelope(self, envelope: Envelope) -> None:
        """Queue ``envelope``; dropped when the queue is full, closed or backing off."""
        with self._cond:
            if self._closed or time.monotonic() < self._retry_at:
                return
            if len(self._queue) >= self._max_queue:
                LOGGER.debug("scopetel: Spotlight queue full; envelope not sent to Spotlight")
                return
            self._queue.append(envelope)
            self._cond.notify_all()
            thread = None
            if self._thread is None:
                thread = self._thread = threading.Thread(
                    target=self._run, name="scopetel-spotlight", daemon=True
                )
        if thread is not None:
            thread.start()  # outside the lock: a greenlet under gevent, which takes it at once

    def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
        """Spotlight has no client reports."""

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until the queue is sent."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float) -> None:
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()

    def _run(self) -> None:
        with suppressed():  # the sender's own HTTP calls make no spans or events
            self._serve()

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                envelope = self._queue.popleft()
                self._busy = True
            try:
                self._send(envelope)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _send(self, envelope: Envelope) -> None:
        try:
            response = self._pool.request(
                "POST",
                self.url,
                body=serialize_envelope(envelope),
                headers={"Content-Type": ENVELOPE_CONTENT_TYPE},
                timeout=urllib3.Timeout(total=2.0),
                retries=False,
                redirect=False,
            )
        except Exception as error:
            self._failed(repr(error))
            return
        if response.status >= 400:
            self._failed(f"HTTP {response.status}")
        else:
            self._backoff = 0.0

    def _failed(self, what: str) -> None:
        self._backoff = min(_BACKOFF_MAX, self._backoff * 2 or _BACKOFF_FIRST)
        with self._cond:
            self._retry_at = time.monotonic() + self._backoff
            self._queue.clear()
        LOGGER.warning(
            "scopetel: could not send to Spotlight at %s (%s); retrying in %.0f s",
            self.url,
            what,
            self._backoff,
        )


def _reset_in_child(ref: weakref.ref[SpotlightTransport]) -> None:
    transport = ref()
    if transport is not None:
        transport._reset()
