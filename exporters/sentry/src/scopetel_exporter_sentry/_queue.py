"""The transport's bounded job queue, with delayed retries and flush tracking.

Every job gets an increasing sequence number and stays *outstanding* from ``put`` until
``done``, including while it waits for a retry. ``wait_done(upto)`` is how ``flush`` waits
for everything queued before it without being held up by later jobs.
"""

import heapq
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from scopetel_exporter_sentry.envelope import Envelope

__all__ = ["Job", "JobQueue"]


@dataclass(slots=True)
class Job:
    """One envelope to deliver, or (``envelope is None``) a request for a client report."""

    seq: int
    envelope: Envelope | None
    size: int = 0
    attempts: int = 0
    not_before: float = 0.0
    report: dict[str, Any] | None = field(default=None)  # client report riding along


class JobQueue:
    """FIFO of fresh jobs plus a heap of jobs waiting to be retried; bounded in items and bytes.

    Jobs waiting for a retry keep counting against the bounds. The job being sent does not.
    """

    def __init__(self, max_items: int, max_bytes: int) -> None:
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._cond = threading.Condition(threading.Lock())
        self._fresh: deque[Job] = deque()
        self._delayed: list[tuple[float, int, Job]] = []
        self._outstanding: set[int] = set()
        self._bytes = 0
        self._seq = 0
        self._stopped = False
        self._current: Job | None = None  # taken by the worker, not yet done or retried

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest job (0 before the first)."""
        return self._seq

    def put(self, envelope: Envelope | None, size: int, *, bounded: bool = True) -> int | None:
        """Queue a job; return its sequence number, or None when full or stopped."""
        with self._cond:
            if self._stopped:
                return None
            count = len(self._fresh) + len(self._delayed)
            if bounded and (count >= self._max_items or self._bytes + size > self._max_bytes):
                return None
            self._seq += 1
            self._fresh.append(Job(self._seq, envelope, size))
            self._outstanding.add(self._seq)
            self._bytes += size
            self._cond.notify_all()
            return self._seq

    def retry(self, job: Job, delay: float) -> bool:
        """Put ``job`` back to be taken again after ``delay`` seconds; False once stopped."""
        with self._cond:
            if self._stopped:
                return False
            job.not_before = time.monotonic() + delay
            heapq.heappush(self._delayed, (job.not_before, job.seq, job))
            if self._current is job:
                self._current = None
            self._bytes += job.size
            self._cond.notify_all()
            return True

    def get(self) -> Job | None:
        """Block until a job is due and take it; None once the queue is stopped."""
        with self._cond:
            while not self._stopped:
                now = time.monotonic()
                if self._delayed and self._delayed[0][0] <= now:
                    job = heapq.heappop(self._delayed)[2]
                elif self._fresh:
                    job = self._fresh.popleft()
                else:
                    wait = self._delayed[0][0] - now if self._delayed else None
                    self._cond.wait(wait)
                    continue
                self._bytes -= job.size
                self._current = job
                return job
            return None

    def done(self, job: Job) -> None:
        """The job was delivered or definitively dropped."""
        with self._cond:
            self._outstanding.discard(job.seq)
            if self._current is job:
                self._current = None
            self._cond.notify_all()

    def wait_done(self, upto: int, deadline: float) -> bool:
        """Wait until every job numbered ``upto`` or lower is done, or ``deadline`` (monotonic)."""
        with self._cond:
            while min(self._outstanding, default=upto + 1) <= upto:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def stop(self) -> list[Job]:
        """Stop handing out jobs; return the outstanding ones (queued, waiting, in flight)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            jobs = [*self._fresh, *(entry[2] for entry in self._delayed)]
            if self._current is not None:
                jobs.append(self._current)
            return [job for job in jobs if job.seq in self._outstanding]

    @property
    def stopped(self) -> bool:
        return self._stopped
