"""The transport's sender threads: daemon threads, started on demand, each with a connection.

The first capture starts one thread. More are started by the threads themselves, up to
``size``: a thread that takes a job while jobs pile up (``JobQueue.needs_sender``) starts
another before it sends if its last request waited ``SLOW`` seconds or more for its
answer (a distant or slow backend). The new thread inherits that figure, so the pool
grows to what the backlog needs within one round trip (at 100 ms, a thread delivers ~10
envelopes/s), while a fast backend keeps few threads: more threads sending at once only
compete with the application for the GIL.
The wait is the backend's, not the thread's: where the kernel tells when the answer
arrived (Linux, ``Connections.answer_wait``), the time the thread then waited for the
GIL is left out. (Measured by the wall clock, an application that keeps the CPU busy
grew the pool to 24 threads with a loopback backend answering in a millisecond: every
send and receive gives the GIL up and waits to get it back. Elsewhere the wall clock
still decides.) The application starts a thread only when jobs pile up, no thread took
one for ``STALL`` seconds, and a request has been waiting that long for its answer
(``awaiting_backend``: the senders are stuck on the backend, not on the GIL), and then
one thread per ``STALL`` seconds at most, so it rarely pays the GIL hand-off of
starting one. Senders slow for want of the GIL still get company once the backlog
passes an eighth of the queue's bound per sender (``JobQueue.falling_behind``): then
only more threads (more turns at the GIL) deliver more, at the application's expense,
which beats dropping envelopes.
Idle threads are woken most recently idle first, so a light load stays on few threads and
a thread that found nothing to do for ``linger`` seconds ends; the next capture starts
another if none is left. Once the queue is stopped every thread ends after its current
request, and the last one out closes the HTTP pool.
"""

import threading
import time

from scopetel_exporter_sentry._delivery import Delivery
from scopetel_exporter_sentry._http import HttpSender
from scopetel_exporter_sentry._log import LOGGER, suppressed
from scopetel_exporter_sentry._queue import JobQueue

__all__ = ["THREAD_NAME", "WorkerPool"]

THREAD_NAME = "scopetel-sentry-transport"
STALL = 0.025  # seconds without a job taken before a capture starts a thread
SLOW = 0.01  # an answer waited for this long says more requests in flight would help


class WorkerPool:
    """Up to ``size`` daemon threads taking jobs from ``queue`` and handing them to ``delivery``."""

    def __init__(
        self,
        queue: JobQueue,
        delivery: Delivery,
        sender: HttpSender,
        *,
        size: int,
        linger: float,
    ) -> None:
        self._queue = queue
        self._delivery = delivery
        self._sender = sender
        self._size = size
        self._linger = linger
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._started = 0

    @property
    def started(self) -> bool:
        """Whether any thread was ever started."""
        return self._started > 0

    def ensure(self) -> None:
        """On a capture: start a thread if none runs or all are stalled (cheap otherwise)."""
        if self._queue.senders == 0:
            self._start(last_send=0.0)
        elif self._queue.stalled(self._size, STALL) and self._sender.awaiting_backend(STALL):
            self._queue.restart_stall_clock()
            self._start(last_send=STALL)

    def _start(self, last_send: float) -> None:
        if not self._queue.claim_sender(self._size):
            return
        with self._lock:
            self._started += 1
            thread = threading.Thread(
                target=self._run,
                args=(last_send,),
                name=f"{THREAD_NAME}-{self._started}",
                daemon=True,
            )
        # Started (and threads asked is_alive) outside the lock: under gevent's gunicorn
        # worker the lock is a native one (made before monkey-patching), and both switch
        # greenlets; another greenlet waiting for the lock then blocks the whole process.
        try:
            thread.start()
        except RuntimeError:  # interpreter shutdown, or the OS refused a thread
            self._queue.release_sender()
            LOGGER.debug("scopetel: could not start a transport thread", exc_info=True)
            return
        ended = [t for t in list(self._threads) if not t.is_alive()]  # may switch greenlets
        with self._lock:
            self._threads = [t for t in self._threads if t not in ended]
            self._threads.append(thread)

    def join(self, deadline: float) -> None:
        """Wait for the threads to end, until ``deadline`` (monotonic) at the latest."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, last_send: float) -> None:
        # The transport must never trace (or log-capture) its own HTTP calls.
        with suppressed():
            self._serve(last_send)

    def _serve(self, last_send: float) -> None:
        ended = False
        try:
            while (job := self._queue.get(self._linger)) is not None:
                queue = self._queue
                if last_send >= SLOW and queue.needs_sender(self._size):
                    self._start(last_send)  # more requests in flight hide the wait
                elif queue.falling_behind(self._size):
                    self._start(0.0)
                started = time.monotonic()
                self._delivery.process(job)
                waited = self._sender.answer_wait()
                last_send = time.monotonic() - started if waited is None else waited
            ended = True  # ``get`` stopped counting this thread
        finally:
            if not ended:
                self._queue.release_sender()
            if self._queue.stopped and self._queue.senders == 0:
                self._sender.close()
