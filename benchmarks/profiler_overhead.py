"""Continuous profiling's CPU overhead: scopetel's profiler and sentry-sdk 2.75's, side by side.

``.venv/bin/python benchmarks/profiler_overhead.py [--quick] [--rounds N] [--pairs N]
[--requests N] [--steady N] [--steady-pairs N] [--busy-pairs N] [--window S] [--parts]
[--busy-only] [--write]``

Each round runs one process per SDK (``benchmarks/profiler_workload.py``: the workload,
the phases and what is measured in them; sentry-sdk's under ``.venv-sentry-sdk``), the
SDKs' order alternating. A process alternates phases of the same requests with the
profiler stopped and running; a *pair* is a running phase and its neighbour. Per pair,
in % of the stopped phase's process CPU time:

* ``overhead``: the extra process CPU time (every thread), split into
* ``sampler``: the sampler thread's own CPU time;
* ``SDK threads``: the extra CPU of the SDK's other threads (scopetel's transaction
  emitter and the main thread, which sends the chunk at ``stop_profiler()``; sentry-sdk's
  monitor) — what profiling adds to transactions and chunks;
* ``app threads``: the extra CPU of the 8 worker threads: per-span work, and what being
  sampled costs them (with passes that take the GIL: handing it to the sampler up to 101
  times a second).

Machines running this are shared: the CPU time of the same requests varies from phase
to phase by far more than the overhead sought (±5-10 % here), and almost all of that
noise is in the app threads, whose share of the process is ~85 %. Cells are therefore
the median over all pairs of all rounds with its 90 % bootstrap interval; the sampler
and SDK-thread parts are measured on their own threads and are precise, the app-thread
part and so the total are not, and the table says how much.

Continuous profiling runs for minutes and sends a chunk a minute; a pair of 300-request
phases (~1 s each) instead starts the profiler, sends a chunk and stops it every second,
which charges what a start and a chunk cost (a thread and its first passes, every stack
of the chunk resolved to frames anew, the envelope) to one second of sampling. So
``--steady N`` (default 3000 requests, ~10 s a phase; 0: none) also runs, per round, a
process per SDK with ``--steady-pairs`` pairs of such long phases: there the sampler and
SDK-thread parts are what a running profiler costs. The ``≤ 1 %`` verdict adds those two
(precise, measured on their own threads) to the median application-thread part over all
the short pairs (the most pairs: the best estimate of a part that is mostly noise).

The application-thread part is measured a second way: per round, a process per SDK runs
``benchmarks/profiler_busy_thread.py`` (one thread serving the same requests without
their I/O waits, windows of ``--window`` s with the profiler running and stopped,
``--busy-pairs`` pairs; see there). What an application thread pays while sampled is the
median over pairs of the running window's mean CPU per request over the stopped one's;
the verdict's first line adds it, in % of the thread's CPU (the application threads are
~85 % of the process's, so it is counted a little high), to the sampler and SDK-thread
parts of the long phases. Only with one process and 4 idle threads (the sections of
``--processes`` and ``--idle`` have no busy thread). ``--busy-only`` measures just the
busy-thread processes anew, in place of those of the saved run (the section says so).

``--parts`` adds scopetel processes with parts of its profiler switched off (the
``--without`` of ``profiler_workload.py``), to show what each part costs; ``--part P``
(repeatable) only those.

``--processes 2`` runs two identical processes at once wherever one ran (as gunicorn
``-w 2`` on a 2-core machine would), each measured on its own and their pairs pooled: with
both cores busy, the sampler's wake-ups find no idle core. It matters on virtual machines,
where waking a thread on an idle vCPU is charged tens of µs of CPU (about 22 µs a
wake-up here with one core busy, 4-6 µs with both), so the one-process figure is the
dearest case for a sampler that wakes 101 times a second. Its results have their own
section and JSON file.

``--idle N`` gives each process N idle threads instead of 4 (a threaded server's spare
workers, most of its threads most of the time): every sampler reads every thread, so
what a pass costs grows with them. Its own section and JSON file too.

``--write`` replaces this benchmark's section of ``benchmarks/RESULTS.md`` (between its
markers) and keeps the raw phases in ``benchmarks/profiler_overhead.json``
(``profiler_overhead_2p.json`` and a section of its own with ``--processes 2``).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: the project root, for ``benchmarks.*``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.profiler_figures import SDKS, busy_figures, figures
from benchmarks.profiler_report import IDLE, outputs, render, write

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = ROOT / "benchmarks" / "profiler_workload.py"
BUSY_THREAD = ROOT / "benchmarks" / "profiler_busy_thread.py"
SENTRY_SDK_PYTHON = ROOT / ".venv-sentry-sdk" / "bin" / "python"
PARTS = (
    "detached",
    "threads",
    "native",
    "links",
    "tasks",
    "send",
    "walk",
    "links,tasks,send,walk",
)


def _python(sdk: str) -> str:
    """The interpreter of the SDK's virtualenv (sentry-sdk's is its own)."""
    return str(SENTRY_SDK_PYTHON) if sdk == "sentry_sdk" else sys.executable


def run_process(
    sdk: str, requests: int, pairs: int, without: str = "", at_once: int = 1, idle: int = IDLE
) -> list[dict[str, Any]]:
    """``at_once`` identical workload processes started together; each one's result."""
    python = _python(sdk)
    command = [python, str(WORKLOAD), sdk, "--requests", str(requests), "--pairs", str(pairs)]
    if without:
        command += ["--without", without]
    if idle != IDLE:
        command += ["--idle", str(idle)]
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(at_once)
    ]
    results: list[dict[str, Any]] = []
    try:
        for process in running:
            out, err = process.communicate(timeout=1800)
            if process.returncode != 0:
                raise RuntimeError(f"{sdk} failed:\n{err[-3000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


def run_busy(sdk: str, pairs: int, window: float) -> dict[str, Any]:
    """``profiler_busy_thread.py``'s windows, in a process of the SDK's."""
    python = _python(sdk)
    command = [python, str(BUSY_THREAD), sdk, "--pairs", str(pairs), "--window", str(window)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{sdk} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["busy"] = True
    return result


def run(
    rounds: int,
    requests: int,
    pairs: int,
    parts: list[str],
    steady: tuple[int, int] = (0, 0),
    at_once: int = 1,
    idle: int = IDLE,
    busy: tuple[int, float] = (0, 0.25),
    short: bool = True,
) -> list[dict[str, Any]]:
    """Per round, a process per SDK (order alternating), one with long phases each when
    ``steady`` (requests, pairs) asks, and a busy-thread one each when ``busy`` (pairs,
    window) asks; then the parts. Each is ``at_once`` processes running together (the
    busy-thread ones: one)."""
    processes: list[dict[str, Any]] = []
    variants = [(sdk, "") for sdk in SDKS]
    for round_index in range(rounds):
        order = variants if round_index % 2 == 0 else variants[::-1]
        for sdk, without in order if short else []:
            processes += _one(sdk, without, round_index, requests, pairs, at_once, idle)
        if steady[0] > 0:
            for sdk, without in order:
                for process in _one(sdk, without, round_index, *steady, at_once, idle):
                    process["steady"] = True
                    processes.append(process)
        if busy[0] > 0:
            for sdk, _ in order:
                process = run_busy(sdk, *busy)
                process["round"] = round_index
                found = busy_figures([process])["app_thread"]
                print(
                    f"round {round_index + 1} {sdk:<11} one busy thread: {found[0]:.2f} % a "
                    f"request ({found[1]:.2f} to {found[2]:.2f})",
                    file=sys.stderr,
                    flush=True,
                )
                processes.append(process)
    for without in parts:
        processes += _one("scopetel", without, 0, requests, pairs, at_once, idle)
    return processes


def _one(
    sdk: str,
    without: str,
    round_index: int,
    requests: int,
    pairs: int,
    at_once: int,
    idle: int = IDLE,
) -> list[dict[str, Any]]:
    processes = run_process(sdk, requests, pairs, without, at_once, idle)
    for process in processes:
        process["round"] = round_index
        process["requests"] = requests
    found = figures(processes)
    print(
        f"round {round_index + 1} {sdk:<11} {without or 'all parts':<22} {requests:>5} req "
        "overhead "
        f"{found['overhead'][0]:5.2f} % = sampler {found['sampler'][0]:.2f} + SDK threads "
        f"{found['sdk_threads'][0]:.2f} + app threads {found['app_threads'][0]:.2f} "
        f"({found['us_per_tick']:.0f} us/tick, {found['ticks_per_s']:.1f} ticks/s)",
        file=sys.stderr,
        flush=True,
    )
    return processes


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()


def _busy_only(rounds: int, pairs: int, window: float, save: bool) -> int:
    """The saved one-process run with its busy-thread processes measured anew."""
    raw = outputs(1, IDLE)[0]
    data = json.loads(raw.read_text(encoding="utf-8"))
    began = time.time()
    busy = run(rounds, 0, 0, [], busy=(pairs, window), short=False)
    data["processes"] = [p for p in data["processes"] if not p.get("busy")] + busy
    data["busy_command"] = (
        f".venv/bin/python benchmarks/profiler_overhead.py --busy-only --rounds {rounds} "
        f"--busy-pairs {pairs} --window {window} --write"
    )
    data["busy_when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(began))
    data["busy_commit"] = _commit()
    print(render(data))
    if save:
        write(data)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 round, 4 pairs of 200 requests, nothing else"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--steady", type=int, default=3000, help="requests per long phase (0: no long phases)"
    )
    parser.add_argument("--steady-pairs", type=int, default=3)
    parser.add_argument(
        "--busy-pairs", type=int, default=200, help="one busy thread's pairs a round (0: none)"
    )
    parser.add_argument("--window", type=float, default=0.25, help="busy thread's window (s)")
    parser.add_argument("--parts", action="store_true", help="also scopetel without each part")
    parser.add_argument(
        "--part", action="append", default=[], choices=PARTS, help="also scopetel without this"
    )
    parser.add_argument(
        "--processes", type=int, default=1, help="identical processes at once (2: both cores busy)"
    )
    parser.add_argument(
        "--idle", type=int, default=IDLE, help="idle threads in each process (a section of its own)"
    )
    parser.add_argument(
        "--busy-only",
        action="store_true",
        help="run only the busy-thread processes, in place of the saved run's (with --write)",
    )
    parser.add_argument("--write", action="store_true", help="update RESULTS.md and the JSON")
    parser.add_argument("--render", action="store_true", help="rebuild the section from the JSON")
    args = parser.parse_args()
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.idle < 0:
        parser.error("--idle must be at least 0")
    if args.render:
        write(json.loads(outputs(args.processes, args.idle)[0].read_text(encoding="utf-8")))
        return 0
    if args.busy_only:
        return _busy_only(args.rounds, args.busy_pairs, args.window, args.write)
    rounds, pairs, requests = (
        (1, 4, 200) if args.quick else (args.rounds, args.pairs, args.requests)
    )
    if args.steady > 0 and args.steady_pairs < 1:
        parser.error("--steady-pairs must be at least 1 (or --steady 0: no long phases)")
    steady = (0, 0) if args.quick else (args.steady, args.steady_pairs)
    if args.busy_pairs < 0 or args.window <= 0:
        parser.error("--busy-pairs must be at least 0 and --window positive")
    # one process, 4 idle threads: its figure is not the other sections' to use
    single = args.processes == 1 and args.idle == IDLE
    busy = (args.busy_pairs if single and not args.quick else 0, args.window)
    began = time.time()
    parts = list(PARTS) if args.parts else args.part
    processes = run(rounds, requests, pairs, parts, steady, args.processes, args.idle, busy)
    commit = _commit()
    flags = (
        " --quick"
        if args.quick
        else f" --rounds {rounds} --pairs {pairs} --requests {requests}"
        f" --steady {steady[0]} --steady-pairs {steady[1]}"
        f" --busy-pairs {busy[0]} --window {busy[1]}"
    ) + ("" if args.processes == 1 else f" --processes {args.processes}")
    flags += "" if args.idle == IDLE else f" --idle {args.idle}"
    data = {
        "command": f".venv/bin/python benchmarks/profiler_overhead.py{flags}"
        + (" --parts" if args.parts else "".join(f" --part {part}" for part in parts))
        + " --write",
        "rounds": rounds,
        "pairs": pairs,
        "requests": requests,
        "steady_requests": steady[0],
        "steady_pairs": steady[1],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(began)),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "commit": commit,
        "at_once": args.processes,
        "idle": args.idle,
        "processes": processes,
    }
    print(render(data))
    if args.write:
        write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
