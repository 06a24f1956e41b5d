"""What a running profiler costs the application's threads, measured on one busy thread.

``python benchmarks/profiler_busy_thread.py SDK [--pairs N] [--window S] [--pause]`` (scopetel's
under ``.venv/bin/python``, sentry-sdk's under ``.venv-sentry-sdk/bin/python``) prints one
JSON line: the windows it measured.

Why: in ``profiler_workload.py``'s busy service the application threads' CPU time varies
from phase to phase by far more than what being sampled costs them (8 threads handing
the GIL over at every I/O wait, each hand-over a wake-up whose price varies on a shared
VM), so that part of the overhead comes out as noise ±2 points. Here one thread serves
the same requests back to back without their I/O waits (a transaction, three child
spans, 20 middleware frames, the rows rendered), beside the same 4 idle threads, and its
own CPU clock is read around each request: no hand-over, and a noise of a few % per
request, which averages out over a window's ~100 requests. The main thread alternates
windows of ``--window`` seconds (default 0.25) with the profiler running
(``start_profiler()`` to ``stop_profiler()``, the chunk sent at each stop, between
windows) and stopped, in pairs whose order alternates; requests that straddle a switch
are left out. Per window: the CPU time of its requests, their number (and median), and
the sampling passes in it. What the profiler costs the thread (its passes reading the
thread's stack, the span links, the GIL taken from it, the VM charging the thread for
the sampler's timer interrupts) is the running window's mean CPU per request over its
neighbour's: a mean, so that what hits a few requests (the first pass of a start, taken
with the GIL) counts. What a running profiler does about once a second with the GIL (its
passes' samples collected) falls outside windows this short: the stop collects them,
between windows.

Starting and stopping every window charges a thread start and a first pass with the GIL
to each quarter second; ``--pause`` (scopetel only, as ``profiler_workload.py --pause``)
keeps one profiler running and resumes and pauses its sampling instead.
"""

import argparse
import gc
import json
import statistics
import sys
import threading
import time
from typing import Any

# beside this file: the script's own folder is on the path
from profiler_sdks import Sink, setup_scopetel, setup_sentry_sdk
from profiler_workload import IDLE, MIDDLEWARE, _endpoint, _middleware

MIN_REQUESTS = 5  # a window with fewer (a stalled machine) is left out


class _BusyThread:
    """Serves requests back to back, recording each one's CPU time under the window it
    began and ended in."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler
        self.window = 0  # odd: measured; even: a switch under way
        self.times: dict[int, list[float]] = {}
        self._stop = threading.Event()
        # daemon: a measurement that fails must not leave a thread spinning a core
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._idle = [threading.Thread(target=self._stop.wait, daemon=True) for _ in range(IDLE)]
        for thread in [self._thread, *self._idle]:
            thread.start()

    def _serve(self) -> None:
        request = 0
        while not self._stop.is_set():
            window = self.window
            began = time.thread_time()
            self._handler(request)
            took = time.thread_time() - began
            if window % 2 and self.window == window:
                self.times.setdefault(window, []).append(took)
            request += 1

    def close(self) -> None:
        self._stop.set()
        for thread in [self._thread, *self._idle]:
            thread.join()


def child(sdk_name: str, pairs: int, window_s: float, pause: bool = False) -> dict[str, Any]:
    sink = Sink()
    setup = setup_scopetel if sdk_name == "scopetel" else setup_sentry_sdk
    sdk, start_profiler, stop_profiler = setup(sink, set(), pause)
    busy = _BusyThread(
        _middleware(MIDDLEWARE, _endpoint(sdk.start_transaction, sdk.start_span, False))
    )
    start_profiler()  # warm-up: passes made, codes met
    time.sleep(1.0)
    stop_profiler()
    time.sleep(window_s)
    gc.collect()
    gc.freeze()  # what the warm-up made, out of the collector's way (as in the phases)
    sink.ticks()
    profiled: dict[int, tuple[int, bool, int]] = {}  # window: pair, running, passes in it
    try:
        for index in range(pairs):
            for running in (True, False) if index % 2 == 0 else (False, True):
                if running:
                    start_profiler()
                busy.window += 1
                window = busy.window
                time.sleep(window_s)
                busy.window += 1
                if running:
                    stop_profiler()
                sdk.flush()  # the window's chunk (--pause: sampled until now) and spans
                profiled[window] = (index, running, sink.ticks())
    finally:
        busy.close()
    windows = [
        {
            "pair": profiled[window][0],
            "profiled": profiled[window][1],
            "ticks": profiled[window][2],
            "requests": len(times),
            "cpu_s": sum(times),
            "median_s": statistics.median(times),
        }
        for window, times in sorted(busy.times.items())
        if len(times) >= MIN_REQUESTS and window in profiled
    ]
    return {
        "sdk": sdk_name,
        "pause": pause,
        "window_s": window_s,
        "windows": windows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("sdk", choices=("scopetel", "sentry_sdk"))
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--window", type=float, default=0.25, help="seconds per window")
    parser.add_argument(
        "--pause", action="store_true", help="one profiler; windows resume and pause it (scopetel)"
    )
    args = parser.parse_args()
    if args.pairs < 1 or args.window <= 0:
        parser.error("--pairs must be at least 1 and --window positive")
    if args.pause and args.sdk != "scopetel":
        parser.error("--pause is scopetel's (its trace lifecycle's pause)")
    print(json.dumps(child(args.sdk, args.pairs, args.window, args.pause)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
