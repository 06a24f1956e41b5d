"""The transport's bounded job queue: delayed retries, flush tracking, and its sender count.

Every job gets an increasing sequence number and stays *outstanding* from ``put`` until
``done``, including while it waits for a retry or is in flight. ``wait_done(upto)`` is how
``flush`` waits for everything queued before it without being held up by later jobs.

Several sender threads take jobs. The queue also counts them (``claim_sender`` before a
thread is started, ``get`` returning None when it ends): a sender retires only under the
queue's lock and only when nothing is queued, so after a ``put`` either a sender that
will see the job is counted, or ``senders`` reads 0 and the caller starts one.
"""

import heapq
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from scopetel_exporter_sentry.envelope import Envelope

__all__ = ["BACKLOG_PER_SENDER", "Job", "JobQueue"]

BACKLOG_PER_SENDER = 4


@dataclass(slots=True)
class Job:
    """One envelope to deliver, or (``envelope is None``) a request for a client report."""

    seq: int
    envelope: Envelope | None
    size: int = 0
    attempts: int = 0
    not_before: float = 0.0
    report: dict[str, Any] | None = field(default=None)  # client report riding along
    failure: str | None = None  # the discard reason of the last failed attempt


class JobQueue:
    """FIFO of fresh jobs plus a heap of jobs waiting to be retried; bounded in items and bytes.

    Jobs waiting for a retry keep counting against the bounds; jobs in flight do not.
    """

    def __init__(self, max_items: int, max_bytes: int) -> None:
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._finished = threading.Condition(self._lock)  # flush waits here
        # Idle senders, each on its own condition, the most recently idle last: waking
        # the last one keeps the work on the fewest threads, and the rest can retire.
        self._waiters: list[threading.Condition] = []
        self._fresh: deque[Job] = deque()
        self._delayed: list[tuple[float, int, Job]] = []
        self._outstanding: set[int] = set()
        self._in_flight: set[int] = set()
        self._bytes = 0
        self._seq = 0
        self._stopped = False
        self._senders = 0  # sender threads claimed and not yet ended
        self._last_take = time.monotonic()  # when a sender last took a job

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest job (0 before the first)."""
        return self._seq

    def put(self, envelope: Envelope | None, size: int, *, bounded: bool = True) -> int | None:
        """Queue a job; return its sequence number, or None when full or stopped."""
        with self._lock:
            if self._stopped:
                return None
            count = len(self._fresh) + len(self._delayed)
            if bounded and (count >= self._max_items or self._bytes + size > self._max_bytes):
                return None
            self._seq += 1
            self._fresh.append(Job(self._seq, envelope, size))
            self._outstanding.add(self._seq)
            self._bytes += size
            self._wake()
            return self._seq

    def needs_sender(self, limit: int) -> bool:
        """Cheap check (no lock): do jobs pile up faster than the senders take them?

        True when more than ``BACKLOG_PER_SENDER`` jobs per sender wait: a short hiccup of
        a fast backend leaves a few, and does not multiply threads (and connections, which
        slow the backend further), while a slow one lets them pile up by the hundred.
        A hint; ``claim_sender`` decides.
        """
        return self._senders < limit and len(self._fresh) > BACKLOG_PER_SENDER * self._senders

    def falling_behind(self, limit: int) -> bool:
        """Cheap check (no lock): is the backlog past an eighth of the queue's bound per
        sender? Senders that are slow only for want of the GIL (an application keeping
        the CPU busy) fall behind, and only more of them get through more envelopes.
        A hint; ``claim_sender`` decides."""
        high = max(BACKLOG_PER_SENDER, self._max_items // 8)
        return self._senders < limit and len(self._fresh) > high * self._senders

    def _wake(self) -> None:
        """Wake the most recently idle sender (call with the lock held)."""
        if self._waiters:
            self._waiters.pop().notify()

    def stalled(self, limit: int, after: float) -> bool:
        """``needs_sender``, and no sender took a job for ``after`` seconds (all are busy
        waiting for answers): the application's cue to start one. No lock."""
        return self.needs_sender(limit) and time.monotonic() - self._last_take > after

    def restart_stall_clock(self) -> None:
        """Count a stall from now (a thread was just started for one): one stall of the
        backend then starts one thread, not one per capture while it lasts. No lock."""
        self._last_take = time.monotonic()

    def claim_sender(self, limit: int) -> bool:
        """Count one more sender if fewer than ``limit`` run and work is waiting for one."""
        with self._lock:
            if self._stopped or self._senders >= limit or len(self._fresh) <= len(self._waiters):
                return False
            self._senders += 1
            return True

    def release_sender(self) -> None:
        """Undo ``claim_sender`` when the thread could not be started."""
        with self._lock:
            self._senders -= 1

    @property
    def senders(self) -> int:
        return self._senders

    def retry(self, job: Job, delay: float) -> bool:
        """Put ``job`` back to be taken again after ``delay`` seconds; False once stopped."""
        with self._lock:
            if self._stopped:
                return False
            self._in_flight.discard(job.seq)
            job.not_before = time.monotonic() + delay
            heapq.heappush(self._delayed, (job.not_before, job.seq, job))
            self._bytes += job.size
            self._wake()
            return True

    def get(self, linger: float) -> Job | None:
        """Block until a job is due and take it.

        None (and the caller's sender is no longer counted) once the queue is stopped, or
        when nothing was queued or waiting for a retry for ``linger`` seconds.
        """
        with self._lock:
            idle_since = time.monotonic()
            waiter: threading.Condition | None = None
            while not self._stopped:
                now = time.monotonic()
                if self._delayed and self._delayed[0][0] <= now:
                    job = heapq.heappop(self._delayed)[2]
                elif self._fresh:
                    job = self._fresh.popleft()
                elif not self._delayed and now - idle_since >= linger:
                    break
                else:
                    due = self._delayed[0][0] if self._delayed else idle_since + linger
                    waiter = waiter or threading.Condition(self._lock)
                    self._waiters.append(waiter)
                    try:
                        waiter.wait(due - now)
                    finally:
                        if waiter in self._waiters:  # timed out rather than woken
                            self._waiters.remove(waiter)
                    continue
                self._bytes -= job.size
                self._in_flight.add(job.seq)
                self._last_take = now
                if self._fresh:
                    self._wake()  # pass the wake-up on: more is waiting
                return job
            self._senders -= 1
            return None

    def done(self, job: Job) -> None:
        """The job was delivered or definitively dropped."""
        with self._lock:
            self._outstanding.discard(job.seq)
            self._in_flight.discard(job.seq)
            self._finished.notify_all()

    def wait_done(self, upto: int, deadline: float) -> bool:
        """Wait until every job numbered ``upto`` or lower is done, or ``deadline`` (monotonic)."""
        with self._finished:
            while min(self._outstanding, default=upto + 1) <= upto:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._finished.wait(remaining)
            return True

    def stop(self) -> tuple[list[Job], int]:
        """Stop handing out jobs: (the queued or retry-waiting jobs, removed; how many are
        in flight). In-flight jobs stay outstanding until their sender knows the outcome."""
        with self._lock:
            self._stopped = True
            jobs = [*self._fresh, *(entry[2] for entry in self._delayed)]
            self._fresh.clear()
            self._delayed.clear()
            self._bytes = 0
            self._outstanding.difference_update(job.seq for job in jobs)
            while self._waiters:
                self._wake()
            self._finished.notify_all()
            return jobs, len(self._in_flight)

    @property
    def stopped(self) -> bool:
        return self._stopped
