"""``Emitter``: builds and sends off the thread that ended the span.

The segment processor hands a finished segment (the stream processor, a batch of
spans) to ``Emitter.put``, which queues it and returns: turning it into a transaction
event, running the user's hooks and serializing the envelope happen in one daemon
thread (``scopetel-emitter``), started with the first item. ``flush`` waits until
everything queued has been handed to the sink; ``close`` does that and stops the
thread. The queue is bounded: when the thread falls behind (an application that keeps
the CPU busy), an item that does not fit is emitted where it is put, as a synchronous
pipeline would: the producer slows down instead of losing transactions. What is still
queued when ``close`` runs out of time is counted (``on_drop``). In a forked child
nothing the parent had queued is carried over: a child starts empty.
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final, Generic, TypeVar

from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import guard, suppressed

T = TypeVar("T")
DEFAULT_MAX_QUEUED: Final = 1000


class Emitter(Generic[T]):
    """Calls ``sink`` for every item ``put``, in a background thread, in order."""

    def __init__(
        self,
        sink: Callable[[T], None],
        on_drop: Callable[[T], None],
        *,
        max_queued: int = DEFAULT_MAX_QUEUED,
        name: str = "scopetel-emitter",
    ) -> None:
        if max_queued < 1:
            raise ValueError(f"max_queued must be at least 1, got {max_queued!r}")
        self._sink = sink
        self._on_drop = on_drop
        self._max_queued = max_queued
        self._name = name
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[T] = deque()
        self._busy = False  # the thread is running the sink
        self._thread: threading.Thread | None = None
        self._closed = False

    def put(self, item: T) -> None:
        """Queue ``item`` for the sink; when the queue is full or closed, run the sink here
        (late items of a draining processor still reach the sink after ``close``)."""
        thread = None
        with self._lock:
            queued = not self._closed and len(self._queue) < self._max_queued
            if queued:
                self._queue.append(item)
                if self._thread is None:
                    thread = self._thread = threading.Thread(
                        target=self._run, name=self._name, daemon=True
                    )
                self._changed.notify_all()
        if thread is not None:
            # Outside the lock: under gevent the lock may be a native one and start()
            # switches greenlets (see the segment processor's reaper).
            thread.start()
        if not queued:
            self._emit(item)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._changed.wait()
                if not self._queue:
                    return
                item = self._queue.popleft()
                self._busy = True
            try:
                self._emit(item)
            finally:
                with self._lock:
                    self._busy = False
                    self._changed.notify_all()

    def _emit(self, item: T) -> None:
        with suppressed(), guard("Emitter sink"):  # no spans from what the sink does
            self._sink(item)

    def pending(self) -> int:
        """Items queued or being handed to the sink."""
        with self._lock:
            return len(self._queue) + self._busy

    def flush(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) until every item queued reached the sink."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            if self._thread is threading.current_thread():  # a sink's hook: no self-wait
                return not self._queue
            while self._queue or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def close(self, timeout: float) -> bool:
        """``flush``, then stop the thread; later items are emitted where they are put."""
        drained = self.flush(timeout)
        with self._lock:
            self._closed = True
            dropped = list(self._queue)
            self._queue.clear()
            self._changed.notify_all()
        for item in dropped:  # not emitted in time: counted, never lost silently
            with guard("Emitter on_drop"):
                self._on_drop(item)
        return drained
