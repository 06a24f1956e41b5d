"""The profiler: a daemon thread that samples every thread's stack at a fixed rate.

Samples go into a chunk; a chunk is sent when it is a minute old, when it is full, on
``flush`` and when the profiler stops (Relay accepts chunks of up to 66 s). With
``on_demand`` (the ``trace`` lifecycle) the thread samples only while it is ``acquire``\\ d
(an open root span) and otherwise sleeps without waking, until then or until its chunk
is due. ``profiler_id`` names one run of the thread (``start`` to ``stop``);
``active_id`` is that id while samples are being taken, for spans to link to.
"""

import contextlib
import time
from collections.abc import Callable
from typing import Any, Final

from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import guard, report_internal_error, run_suppressed, suppressed
from scopetel._profiling.chunk import Chunk
from scopetel._profiling.detached import BUSY, EVENT_LOOP, DetachedPasses, detached_passes
from scopetel._profiling.frames import FrameRenderer
from scopetel._profiling.native import Native, Wakeup, native
from scopetel._profiling.sampler import MAX_STACK_DEPTH, StackSampler
from scopetel._random_ids import uuid4_hex

CHUNK_SECONDS: Final = 60.0
MAX_SHARE_FACTOR: Final = 9.0  # sleep at least 9x as long as a sample took: <= 10 % busy
SEARCH_STEP_SECONDS: Final = 0.005  # of CPU after each pass with the GIL, while codes are sought

Send = Callable[[Chunk, str], None]
"""Sends a finished chunk of the profiler run ``profiler_id``."""


class Profiler:
    """Start/stop, demand (trace lifecycle), flush; never raises into its callers' code."""

    def __init__(
        self,
        send: Send,
        renderer: FrameRenderer,
        *,
        frequency: int = 101,
        on_demand: bool = False,
        mode: str | None = None,
        detached: bool = False,
    ) -> None:
        self._send = send
        self._renderer = renderer
        self._interval = 1.0 / frequency
        self._on_demand = on_demand
        self._mode = mode
        self._detached = detached  # passes without the GIL, where they can run
        self._reset()
        reset_in_child(self._after_fork)

    def _reset(self) -> None:
        self._native = native(self._mode)
        self._lock = self._native.allocate_lock()
        self._wakeup = Wakeup(self._native)
        self._run_token: object | None = None  # the running thread's; None: stopped
        self._done: Any = None  # a native lock the thread releases when it ends
        self._chunk: Chunk | None = None
        self._passes: DetachedPasses | None = None  # passes without the GIL, if any here
        self._passes_tried = False
        self._passes_made = False  # (None where they cannot run: not asked for again)
        self._first_pass = 0.0  # s before a detached run's first pass
        self._gil_chunk: Chunk | None = None  # sampled with the GIL (an event loop runs)
        self._demand = 0
        self._closed = False
        self.profiler_id: str | None = None
        self.active_id: str | None = None

    @property
    def native(self) -> Native:
        return self._native

    @property
    def running(self) -> bool:
        return self._run_token is not None

    def _paused(self) -> bool:
        return self._on_demand and self._demand == 0

    # -- control (any thread) ---------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._run_token is None and not self._closed:
                self._spawn()

    def stop(self, timeout: float, *, final: bool = False) -> None:
        """Stop sampling, send the chunk, wait up to ``timeout`` s for the thread to end;
        ``final``: for good (shutdown, a new ``init()``), later starts do nothing."""
        with self._lock:
            self._closed = self._closed or final
            if self._run_token is None:
                return
            self._run_token = None
            profiler_id, self.profiler_id, self.active_id = self.profiler_id, None, None
            chunk = self._take_chunk()
            done, self._done = self._done, None
            if self._passes is not None:
                self._passes.interrupt()
        self._wakeup.set()
        self._deliver(chunk, profiler_id)
        if done is not None:
            done.acquire(timeout=max(timeout, 0.0))

    def flush(self) -> None:
        """Send the chunk being filled now; sampling goes on into a new one."""
        with self._lock:
            chunk = self._take_chunk()
            profiler_id = self.profiler_id
        self._deliver(chunk, profiler_id)

    def _take_chunk(self) -> Chunk | None:
        """The chunk, with what the detached sampler buffered for it (under the lock); a
        sampler still running without the GIL fills a new one from now on."""
        chunk, self._chunk = self._chunk, None
        if self._passes is not None:
            if chunk is not None:
                self._passes.collect(chunk, self._renderer)
            self._passes.forget()
            if self._run_token is not None:
                self._chunk = Chunk()
                self._passes.teach(self._chunk)
        return chunk

    def acquire(self) -> None:
        """Someone wants samples (on demand): start or wake the thread."""
        with self._lock:
            self._demand += 1
            if self._demand == 1 and not self._closed:
                if self._run_token is None:
                    self._spawn()
                else:
                    self.active_id = self.profiler_id
                    self._wakeup.set()

    def release(self) -> None:
        with self._lock:
            self._demand = max(self._demand - 1, 0)
            if self._paused():
                self.active_id = None
                if self._passes is not None:
                    self._passes.interrupt()

    def _spawn(self) -> None:
        """Start a thread (under the lock)."""
        token = object()
        done = self._native.allocate_lock()
        done.acquire()
        self._run_token, self._done = token, done
        self.profiler_id = uuid4_hex()
        self.active_id = None if self._paused() else self.profiler_id
        try:
            self._native.start_thread(lambda: self._run(token, done))
        except RuntimeError:  # the interpreter is shutting down
            self._run_token = self._done = self.profiler_id = self.active_id = None

    def _after_fork(self) -> None:
        """In a forked child: the thread is gone and the chunk is the parent's; a profiler
        that was sampling starts again (a new ``profiler_id``), one on demand when next
        acquired."""
        was_running, closed = self._run_token is not None, self._closed
        self._reset()
        self._closed = closed
        if was_running and not self._on_demand:
            self.start()

    # -- the thread -------------------------------------------------------------------------
    def _run(self, token: object, done: Any) -> None:
        try:
            with suppressed():  # nothing the profiler does makes spans or log records
                own = self._native.get_ident()
                sampler = StackSampler(self._renderer, own)
                passes: DetachedPasses | None = None
                next_at = time.perf_counter()
                while True:
                    try:  # not ``guard()``: a context manager per pass costs ~1.5 us
                        if passes is not None and self._detachable(passes):
                            next_at = self._detached_step(token, sampler, passes, own)
                        else:
                            next_at = self._step(token, sampler, next_at)
                            if next_at >= 0 and passes is None and self._wants_passes():
                                passes = self._detached_passes()  # None while being made
                            elif next_at >= 0 and passes is not None and passes.learning:
                                self._learning_step(passes)
                    except Exception:
                        report_internal_error("Profiler thread")
                        self._native.sleep(1.0)  # a bug must not become a busy loop
                        next_at = time.perf_counter()
                    if next_at < 0:
                        return
        finally:
            done.release()

    def _step(self, token: object, sampler: StackSampler, next_at: float) -> float:
        """Take one sample (unless paused); the time of the next one, or -1 to end."""
        due: Chunk | None = None
        with self._lock:
            if self._run_token is not token:
                return -1.0
            profiler_id, chunk, paused = self.profiler_id, self._chunk, self._paused()
            if chunk is not None and (
                chunk.full or time.perf_counter() - chunk.started >= CHUNK_SECONDS
            ):
                due, chunk = chunk, None
            began = time.thread_time()  # CPU time: waiting for the GIL is not sampling
            if not paused:
                if chunk is None:
                    chunk = Chunk()
                sampler.sample(chunk)
                if chunk.full and due is None:  # sent now: a run without the GIL next
                    due, chunk = chunk, None  # would add its passes (or a tick) to it
            self._chunk = chunk
            took = time.thread_time() - began
        if due is not None and profiler_id is not None:
            self._deliver(due, profiler_id)
        if paused:
            sampler.forget()
            self._wakeup.wait(self._idle_wait(chunk))
            self._first_pass = 0.0
            return time.perf_counter()
        next_at += self._interval
        now = time.perf_counter()
        # Sampling takes at most a tenth of the time (hundreds of threads slow the rate
        # down rather than take the GIL); behind schedule, the ticks missed are skipped.
        delay = max(next_at - now, MAX_SHARE_FACTOR * took)
        if next_at < now + delay:
            next_at = now + delay
        self._native.sleep(delay)
        self._first_pass = 0.0  # a run of passes without the GIL next: its first is due
        return next_at

    def _detachable(self, passes: DetachedPasses) -> bool:
        """Sample without the GIL: not paused, no event loop met in this chunk, and
        nothing being learned (while codes are searched for or taught, a thread running
        one would get no sample: passes with the GIL sample every thread then)."""
        return (
            not self._paused()
            and not passes.learning
            and (self._chunk is None or self._chunk is not self._gil_chunk)
        )

    def _learning_step(self, passes: DetachedPasses) -> None:
        """After a pass with the GIL: a step of the code search, or a batch of the codes
        found taught."""
        if passes.searching and not passes.search_step(SEARCH_STEP_SECONDS):
            return
        with self._lock:
            passes.found()  # (nothing without a search just ended)
            if self._chunk is not None:
                passes.teach(self._chunk)

    def _detached_passes(self) -> DetachedPasses | None:
        """The passes without the GIL, once made (None until then, or where they cannot
        run). Made once, in a thread of their own: it may probe the system call in a child
        process and recall the process's codes, while passes with the GIL go on and
        nothing waits for the lock."""
        with self._lock:
            if not self._passes_tried:
                self._passes_tried = True
                with contextlib.suppress(RuntimeError):  # the interpreter is shutting down
                    self._native.start_thread(self._make_passes)
            return self._passes

    def _wants_passes(self) -> bool:
        """Passes without the GIL asked for, and not found impossible here."""
        return self._detached and not (self._passes_made and self._passes is None)

    def _make_passes(self) -> None:
        with suppressed(), guard("Profiler set-up"):
            passes = detached_passes(MAX_STACK_DEPTH)
            with self._lock:
                self._passes = passes
        self._passes_made = True

    def _detached_step(
        self, token: object, sampler: StackSampler, passes: DetachedPasses, own: int
    ) -> float:
        """About a second of passes without the GIL, then their samples into the chunk,
        and what they met but could not read looked for; with an event loop running,
        that tick is sampled here with the GIL (and the rest of the chunk too)."""
        with self._lock:
            if self._chunk is None or passes.chunk is not self._chunk:
                self._chunk = self._chunk or Chunk()  # the passes fill the chunk taught
                passes.teach(self._chunk)
            passes_left = self._chunk.passes_left(self._interval, CHUNK_SECONDS)
            room = self._chunk.room
        # at once when sampling starts or resumes (a root span may last less than a
        # tick), else a tick after the last pass
        first, self._first_pass = self._first_pass, self._interval
        reason = passes.run(own, self._interval, passes_left, first, room)  # GIL, lock let go
        if reason == BUSY:  # the thread of a previous start is ending
            self._native.sleep(self._interval)
            return time.perf_counter()
        due: Chunk | None = None
        with self._lock:
            if self._run_token is not token:
                return -1.0
            profiler_id = self.profiler_id
            chunk: Chunk | None = self._chunk  # None: flushed meanwhile
            if chunk is None:
                chunk = Chunk()
            passes.collect(chunk, self._renderer)
            if reason == EVENT_LOOP and not self._paused():  # task names: with the GIL
                sampler.sample(chunk)
                self._gil_chunk = chunk
            wanted = passes.learn()
            passes.teach(chunk)
            if chunk.full or time.perf_counter() - chunk.started >= CHUNK_SECONDS:
                due, chunk = chunk, None
                passes.forget()
            self._chunk = chunk
        if due is not None and profiler_id is not None:
            self._deliver(due, profiler_id)
        if wanted:  # searched for in steps between passes with the GIL
            passes.start_search(wanted)
        return time.perf_counter()

    @staticmethod
    def _idle_wait(chunk: Chunk | None) -> float | None:
        if chunk is None:
            return None
        return CHUNK_SECONDS - (time.perf_counter() - chunk.started)

    def _deliver(self, chunk: Chunk | None, profiler_id: str | None) -> None:
        if chunk is None or profiler_id is None or not chunk.worth_sending():
            return
        with guard("Profiler send"):
            run_suppressed(lambda: self._send(chunk, profiler_id))
