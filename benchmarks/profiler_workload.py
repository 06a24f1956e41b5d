"""The measured process of ``profiler_overhead.py``: a busy service, profiler off and on.

``python benchmarks/profiler_workload.py SDK [--requests N] [--pairs N] [--without PARTS]
[--switch-interval S] [--idle N] [--control] [--pause]`` (scopetel's under
``.venv/bin/python``, sentry-sdk's under ``.venv-sentry-sdk/bin/python``) prints one JSON
line: the phases it measured.

The workload: 8 worker threads (as gunicorn's gthread workers) serve requests back to
back while 4 more threads (``--idle``) sit idle (timers, heartbeats, a threaded server's
spare workers). Each request is a transaction
with three child spans, reached through 20 middleware frames: a simulated query (1 ms of
I/O wait, then rows built), a render (JSON encode and decode, string formatting) and a
cache write (0.5 ms of I/O wait), so the process keeps about one core busy, as a
GIL-bound Python service does. Each SDK sends to an in-process transport that
serializes every envelope (profile chunks included) and drops the bytes, with
``traces_sample_rate=1.0`` and ``profile_session_sample_rate=1.0`` (the ``manual``
lifecycle, 101 Hz).

The process alternates *phases* of the same number of requests with the profiler
stopped and running, in pairs whose order alternates (on-off, off-on, ...). A running
phase calls ``start_profiler()`` before its requests and ``stop_profiler()`` after them;
both SDKs' ``stop_profiler()`` joins the sampler thread and sends the chunk, and every
phase ends with the SDK's ``flush()``, so the process CPU clock is read when all of the
phase's work is done (scopetel builds transactions in its emitter thread, which lags
the requests: without the flush, part of a phase's transactions were built in the next
phase; measured with and without it, the emitter's share of the overhead stayed within
the noise, ~0.1-0.4 point from run to run). Per phase:

* ``cpu_s``: the process's CPU time (every thread);
* ``workers_s``: the 8 worker threads' CPU time (``pthread_getcpuclockid``): what the
  application's own threads pay;
* ``sampler_s``: the sampler thread's CPU time, from its start (in the phase) to the end of
  the requests;
* ``ticks``: sampling passes (distinct sample timestamps in the phase's chunks).

scopetel runs with ``profiler_detached=True`` (passes without the GIL, the default).
``--without`` (scopetel only; diagnostics) switches parts of scopetel's profiler off, to
see what each costs: ``detached`` (every pass takes the GIL,
``profiler_detached=False``; also implied by ``walk``, ``threads`` and ``native``),
``links`` (no profiler/thread attributes on spans), ``tasks`` (no
asyncio task lookup per pass), ``send`` (chunks neither encoded nor sent), ``walk`` (the
sampler thread wakes at the same rate but reads no stack: what remains is the cost of
waking a thread that takes the GIL 101 times a second), ``threads`` (each thread's key
computed in C from its frame objects, as on CPython versions whose frame layout
``scopetel-stackwalk`` does not know), ``native`` (stacks keyed by the Python walk, as
where ``scopetel-stackwalk``'s C part could not be built).

``--control`` (an A/A run): the "running" phases start no profiler, so they differ from
their neighbours in nothing but their place; what ``profiler_overhead.py`` reads from
such pairs is what its estimator gives for nothing at all (its bias and spread).

``--pause`` (scopetel only): one profiler runs from the warm-up to the end, in the
``trace`` lifecycle's machinery, and the phases resume and pause its sampling
(``Profiler.acquire()``/``release()``, which the benchmark calls instead of the root
spans): no thread start, no chunk and no join per phase, only the wake-up and the
interruption of the passes, so short phases measure what a *running* profiler costs the
application threads, including the span links (made only while it samples). Each
phase's ``flush()`` still sends the chunk sampled in it (from the main thread).
"""

import argparse
import gc
import json
import sys
import threading
import time
from collections.abc import Callable
from queue import Queue
from typing import Any

from profiler_sdks import Sink, setup_scopetel, setup_sentry_sdk  # beside this file

WORKERS = 8
IDLE = 4
MIDDLEWARE = 20
ROWS = 600  # rows rendered per request: its CPU work (about 1.5 ms on a 2-core VM)
PARTS = ("links", "tasks", "send", "walk", "detached", "threads", "native")


def _middleware(depth: int, endpoint: Callable[[int], int]) -> Callable[[int], int]:
    """``depth`` distinct functions calling one another, as a framework's layers do."""
    handler = endpoint
    for index in range(depth):
        namespace: dict[str, Any] = {"inner": handler}
        exec(f"def layer_{index}(request):\n    return inner(request)\n", namespace)
        handler = namespace[f"layer_{index}"]
    return handler


def _endpoint(start_transaction: Any, start_span: Any, wait: bool = True) -> Callable[[int], int]:
    """The request; without ``wait``, its I/O waits left out (its CPU only)."""
    query, cache = (0.001, 0.0005) if wait else (0.0, 0.0)

    def orders(request: int) -> int:
        with start_transaction(name="GET /orders/{id}", op="http.server"):
            with start_span(op="db.query", name="SELECT * FROM orders"):
                if query:
                    time.sleep(query)
                rows = [{"id": i, "total": i * 1.5, "sku": f"S{request}-{i}"} for i in range(ROWS)]
            with start_span(op="template.render", name="orders.html"):
                body = json.dumps({"orders": rows, "request": request})
                parsed = json.loads(body)
                html = "".join(f"<li>{o['sku']}: {o['total']:.2f}</li>" for o in parsed["orders"])
            with start_span(op="cache.put", name="orders"):
                if cache:
                    time.sleep(cache)
        return len(html)

    return orders


class _Pool:
    """``WORKERS`` threads serving requests from a queue (as gthread workers), and
    ``IDLE`` threads blocked on an event (timers, heartbeats): both kinds get sampled."""

    def __init__(self, handler: Callable[[int], int], idle: int = IDLE) -> None:
        self._handler = handler
        self._queue: Queue[int | None] = Queue()
        self._done = threading.Semaphore(0)
        self._stop = threading.Event()
        # daemon: a measurement that fails must not leave the process waiting on them
        self._workers = [threading.Thread(target=self._work, daemon=True) for _ in range(WORKERS)]
        self._idle = [threading.Thread(target=self._stop.wait, daemon=True) for _ in range(idle)]
        for thread in self._workers + self._idle:
            thread.start()
        self._clocks = [time.pthread_getcpuclockid(t.ident or 0) for t in self._workers]

    @property
    def threads(self) -> list[threading.Thread]:
        return self._workers + self._idle

    def _work(self) -> None:
        while (request := self._queue.get()) is not None:
            self._handler(request)
            self._done.release()

    def cpu(self) -> float:
        """The worker threads' CPU time so far (s)."""
        return sum(time.clock_gettime(clock) for clock in self._clocks)

    def serve(self, requests: int) -> None:
        for request in range(requests):
            self._queue.put(request)
        for _ in range(requests):
            self._done.acquire()

    def close(self) -> None:
        self._stop.set()
        for _ in range(WORKERS):
            self._queue.put(None)
        for thread in self._workers + self._idle:
            thread.join()


def _sampler_cpu(before: set[int]) -> float:
    """The CPU time of the sampler thread if it was started since ``before`` (so all of
    it is the phase's) and runs now; 0 otherwise. Read in every phase, profiled or not,
    so that both pay for the reading alike. Frame objects for other threads' frames are
    made with the collector paused, as the SDKs' samplers make them (a collection started
    while one is made can let its thread free the frame: a crash)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        found = [
            ident
            for ident, frame in sys._current_frames().items()
            if ident not in before and _samples(frame)
        ]
    finally:
        if collecting:
            gc.enable()
    if not found:
        return 0.0
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(found[0]))
    except OSError:  # it ended meanwhile
        return 0.0


def _other_threads(pool: _Pool) -> dict[str, int]:
    """The SDK's own threads (the sampler aside), by name: their CPU clocks."""
    mine = {thread.ident for thread in pool.threads} | {threading.main_thread().ident}
    return {
        thread.name: time.pthread_getcpuclockid(thread.ident)
        for thread in threading.enumerate()
        if thread.ident is not None and thread.ident not in mine
    }


def _phase(
    pool: _Pool, requests: int, profiled: bool, sdk: Any, sink: Sink, sampler: int | None = None
) -> dict[str, Any]:
    """Serve ``requests`` with the profiler running or not; the phase's clocks.
    ``sampler``: the CPU clock of a sampler thread that outlives phases (``--pause``)."""
    _, start_profiler, stop_profiler = sdk
    sink.ticks()
    before = set(sys._current_frames())
    others = _other_threads(pool)
    others0 = {name: time.clock_gettime(clock) for name, clock in others.items()}
    main0 = time.thread_time()
    cpu0, wall0, workers0 = time.process_time(), time.perf_counter(), pool.cpu()
    if profiled:
        start_profiler()
    sampler0 = 0.0 if sampler is None else time.clock_gettime(sampler)
    pool.serve(requests)
    sampler_s = _sampler_cpu(before) if sampler is None else time.clock_gettime(sampler) - sampler0
    served = time.perf_counter() - wall0
    if profiled:
        stop_profiler()  # joins the sampler thread, sends the phase's chunk (or pauses)
    sdk[0].flush()  # the phase's transactions too: scopetel emits them in its own thread
    cpu_s = time.process_time() - cpu0
    threads = {name: time.clock_gettime(clock) - others0[name] for name, clock in others.items()}
    threads["main"] = time.thread_time() - main0
    return {
        "profiled": profiled,
        "cpu_s": cpu_s,
        "threads": threads,
        "workers_s": pool.cpu() - workers0,
        "sampler_s": sampler_s,
        "wall_s": time.perf_counter() - wall0,
        "served_s": served,
        "ticks": sink.ticks(),
    }


def _samples(frame: Any) -> bool:
    """Whether ``frame``'s thread is an SDK's sampler: its loop is on the stack
    (scopetel's ``Profiler._run``, sentry-sdk's continuous scheduler's ``run``)."""
    while frame is not None:
        name, filename = frame.f_code.co_name, frame.f_code.co_filename
        if (name == "_run" and filename.endswith("_profiling/profiler.py")) or (
            name == "run" and filename.endswith("profiler/continuous_profiler.py")
        ):
            return True
        frame = frame.f_back
    return False


def _nothing() -> None:
    """A control run's ``start_profiler()`` and ``stop_profiler()``."""


def child(
    sdk_name: str,
    requests: int,
    pairs: int,
    without: set[str],
    idle: int = IDLE,
    control: bool = False,
    pause: bool = False,
) -> dict[str, Any]:
    """In this process: ``pairs`` pairs of phases, profiler off and on, order alternating
    (with ``control``, "on" starts nothing; with ``pause``, it resumes sampling)."""
    sink = Sink()
    setup = setup_scopetel if sdk_name == "scopetel" else setup_sentry_sdk
    sdk = setup(sink, without, pause)
    if control:
        sdk = (sdk[0], _nothing, _nothing)
    pool = _Pool(
        _middleware(MIDDLEWARE, _endpoint(sdk[0].start_transaction, sdk[0].start_span)), idle
    )
    _phase(pool, max(requests // 2, WORKERS), True, sdk, sink)  # warm-up
    _phase(pool, max(requests // 2, WORKERS), False, sdk, sink)
    sampler = None
    if pause:  # the sampler thread, which outlives the phases now
        (ident,) = [ident for ident, frame in sys._current_frames().items() if _samples(frame)]
        sampler = time.pthread_getcpuclockid(ident)
    phases = []
    for index in range(pairs):
        for profiled in (False, True) if index % 2 else (True, False):
            # What the set-up and the phases before made stays: out of the collector's
            # way (as a pre-fork server's preload does), so that full collections, which
            # scan every tracked object several times a second here, do not scan the
            # SDKs' long-lived tables that earlier phases filled (scopetel's 10,000
            # traces' sampling contexts alone cost ~20 µs a request, ~60 ms a phase):
            # they landed in random phases, ±100 ms against a ~5 ms effect. What a phase
            # makes itself (a chunk, its columns) is still scanned in that phase.
            gc.collect()
            gc.freeze()
            phases.append(_phase(pool, requests, profiled, sdk, sink, sampler))
    pool.close()
    sdk[0].flush()
    return {
        "sdk": sdk_name,
        "without": sorted(without),
        "control": control,
        "pause": pause,
        "switch_interval": sys.getswitchinterval(),
        "idle": idle,
        "phases": phases,
        "chunks": sink.chunks,
        "envelopes": sink.envelopes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("sdk", choices=("scopetel", "sentry_sdk"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--without", default="", help=f"comma-separated, of {PARTS}")
    parser.add_argument("--switch-interval", type=float, default=None)
    parser.add_argument("--idle", type=int, default=IDLE, help="idle threads (default 4)")
    parser.add_argument(
        "--control", action="store_true", help="running phases start nothing (an A/A run)"
    )
    parser.add_argument(
        "--pause", action="store_true", help="one profiler; phases resume and pause it (scopetel)"
    )
    args = parser.parse_args()
    without = {part for part in args.without.split(",") if part}
    if not without <= set(PARTS) or (without and args.sdk != "scopetel"):
        parser.error(f"--without takes {PARTS}, for scopetel only")
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    if args.idle < 0:
        parser.error("--idle must be at least 0")
    if args.pause and args.sdk != "scopetel":
        parser.error("--pause is scopetel's (its trace lifecycle's pause)")
    if args.pause and args.control:
        parser.error("--pause and --control exclude each other")
    found = child(args.sdk, args.requests, args.pairs, without, args.idle, args.control, args.pause)
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
