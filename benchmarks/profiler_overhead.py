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
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = ROOT / "benchmarks" / "profiler_workload.py"
BUSY_THREAD = ROOT / "benchmarks" / "profiler_busy_thread.py"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


IDLE = 4  # profiler_workload.py's idle threads, unless --idle


def _outputs(at_once: int, idle: int = IDLE) -> tuple[Path, str, str]:
    """The raw JSON file and the RESULTS.md markers of a run of ``at_once`` processes
    with ``idle`` idle threads each."""
    suffix = ("" if at_once == 1 else f"_{at_once}p") + ("" if idle == IDLE else f"_{idle}idle")
    marker = "profiler_overhead" + ("" if at_once == 1 else f" {at_once} processes")
    marker += "" if idle == IDLE else f" {idle} idle threads"
    return (
        ROOT / "benchmarks" / f"profiler_overhead{suffix}.json",
        f"<!-- {marker}: start -->",
        f"<!-- {marker}: end -->",
    )


SENTRY_SDK_PYTHON = ROOT / ".venv-sentry-sdk" / "bin" / "python"
SDKS = ("scopetel", "sentry_sdk")
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
TARGET_OVERHEAD_PCT = 1.0
COMPONENTS = ("overhead", "sampler", "sdk_threads", "app_threads")


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


def busy_figures(processes: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled: the busy thread's extra CPU per request while sampled (% of a request's):
    per pair of windows, the running one's mean over the stopped one's; the median over
    pairs and its interval (NaN when no pair is whole)."""
    differences = []
    for process in processes:
        by_pair: dict[int, dict[bool, float]] = {}
        for window in process["windows"]:
            mean = window["cpu_s"] / window["requests"]
            by_pair.setdefault(window["pair"], {})[window["profiled"]] = mean
        differences += [
            100 * (pair[True] - pair[False]) / pair[False]
            for pair in by_pair.values()
            if len(pair) == 2
        ]
    windows = [window for process in processes for window in process["windows"]]
    nothing = (math.nan, math.nan, math.nan)
    return {
        "app_thread": median_interval(differences) if differences else nothing,
        "pairs": len(differences),
        "requests": statistics.median(w["requests"] for w in windows) if windows else 0,
        "ms_per_request": 1e3
        * sum(w["cpu_s"] for w in windows)
        / max(sum(w["requests"] for w in windows), 1),
    }


def pairs_of(process: dict[str, Any]) -> list[dict[str, float]]:
    """Each pair's components, in % of the stopped phase's process CPU time."""
    phases = process["phases"]
    on = [phase for phase in phases if phase["profiled"]]
    off = [phase for phase in phases if not phase["profiled"]]
    result = []
    for a, b in zip(on, off, strict=True):
        base = b["cpu_s"]
        sdk_a = sum(a["threads"].values())
        sdk_b = sum(b["threads"].values())
        result.append(
            {
                "overhead": 100 * (a["cpu_s"] - base) / base,
                "sampler": 100 * a["sampler_s"] / base,
                "sdk_threads": 100 * (sdk_a - sdk_b) / base,
                "app_threads": 100 * (a["workers_s"] - b["workers_s"]) / base,
            }
        )
    return result


def per_tick(process: dict[str, Any]) -> dict[str, float]:
    on = [phase for phase in process["phases"] if phase["profiled"]]
    off = [phase for phase in process["phases"] if not phase["profiled"]]
    return {
        "us_per_tick": statistics.median(1e6 * p["sampler_s"] / p["ticks"] for p in on),
        "ticks_per_s": statistics.median(p["ticks"] / p["served_s"] for p in on),
        "cpu_off_s": statistics.median(p["cpu_s"] for p in off),
    }


def median_interval(values: list[float], seed: int = 16) -> tuple[float, float, float]:
    """The median and its 90 % bootstrap interval."""
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(2000))
    return statistics.median(values), medians[100], medians[1899]


def figures(processes: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled over ``processes`` (one SDK or variant): each component's median and
    interval, and the sampler's rate and cost per pass."""
    pooled = [pair for process in processes for pair in pairs_of(process)]
    result: dict[str, Any] = {
        name: median_interval([pair[name] for pair in pooled]) for name in COMPONENTS
    }
    ticks = [per_tick(process) for process in processes]
    for key in ("us_per_tick", "ticks_per_s", "cpu_off_s"):
        result[key] = statistics.median(t[key] for t in ticks)
    result["pairs"] = len(pooled)
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


def _cell(interval: tuple[float, float, float]) -> str:
    median, low, high = interval
    return f"{median:.2f} <sub>{low:.2f} to {high:.2f}</sub>"


def _row(label: str, found: dict[str, Any]) -> str:
    cells = [
        label,
        f"{found['cpu_off_s']:.2f}",
        *(_cell(found[name]) for name in COMPONENTS),
        f"{found['us_per_tick']:.0f}",
        f"{found['ticks_per_s']:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


def _running(
    label: str, steady: dict[str, Any], app: dict[str, tuple[float, float, float]]
) -> list[tuple[str, str, bool]]:
    """The verdicts on a running profiler: the sampler and SDK-thread parts of the long
    phases plus an app-thread part (median, interval) per SDK."""
    total = {
        sdk: steady[sdk]["sampler"][0] + steady[sdk]["sdk_threads"][0] + app[sdk][0] for sdk in SDKS
    }
    ours, (median, low, high) = steady["scopetel"], app["scopetel"]
    return [
        (
            label,
            f"{total['scopetel']:.2f} % = {ours['sampler'][0]:.2f} + "
            f"{ours['sdk_threads'][0]:.2f} + {median:.2f} <sub>app {low:.2f} to {high:.2f}</sub>",
            total["scopetel"] <= TARGET_OVERHEAD_PCT,
        ),
        (
            "the same ≤ sentry-sdk's",
            f"{total['scopetel']:.2f} % vs {total['sentry_sdk']:.2f} %",
            total["scopetel"] <= total["sentry_sdk"],
        ),
    ]


def render(data: dict[str, Any]) -> str:
    main = [
        p
        for p in data["processes"]
        if not p.get("without") and not p.get("steady") and not p.get("busy")
    ]
    by_sdk = {sdk: figures([p for p in main if p["sdk"] == sdk]) for sdk in SDKS}
    long_ones = [p for p in data["processes"] if p.get("steady")]
    steady = {sdk: figures([p for p in long_ones if p["sdk"] == sdk]) for sdk in SDKS if long_ones}
    busy_ones = [p for p in data["processes"] if p.get("busy")]
    busy_found = {
        sdk: busy_figures([p for p in busy_ones if p["sdk"] == sdk]) for sdk in SDKS if busy_ones
    }
    header = (
        "| process | CPU per phase, stopped (s) | overhead (% CPU) | = sampler thread "
        "| + SDK threads | + app threads | µs per tick | ticks/s |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    at_once, idle = data.get("at_once", 1), data.get("idle", IDLE)
    _, start, end = _outputs(at_once, idle)
    busy = (
        "about one core busy"
        if at_once == 1
        else f"about one core busy a process, {at_once} such processes at once (as gunicorn "
        f"`-w {at_once}` would run), each measured on its own, their pairs pooled"
    )
    lines = [
        start,
        "## Continuous profiling: CPU overhead at 101 Hz (scopetel vs sentry-sdk 2.75)"
        + ("" if at_once == 1 else f", {at_once} processes at once")
        + ("" if idle == IDLE else f", {idle} idle threads"),
        "",
        f"`{data['command']}`: {data['rounds']} round(s), each "
        + ("a process" if at_once == 1 else f"{at_once} processes at once")
        + " per SDK with "
        f"{data['pairs']} pairs of phases of {data['requests']:,} requests"
        + (
            f" and one with {data['steady_pairs']} pairs of {data['steady_requests']:,} requests"
            if data.get("steady_requests")
            else ""
        )
        + f"; {data['when']}; "
        f"Python {data['python']}, {data['machine']}; commit `{data['commit']}`.",
        "",
        "8 worker threads serve requests back to back (a transaction, three child spans, 20 "
        f"middleware frames, 1.5 ms of I/O wait per request), {idle} more threads idle: "
        f"{busy}. Each pair: a phase with the profiler running (`start_profiler()` to "
        "`stop_profiler()`, which joins the sampler and sends the chunk) and its neighbour "
        "with it stopped; in % of the stopped phase's process CPU: the `overhead` and its "
        "parts, by thread. `ticks/s`: sampling passes achieved (101 asked). Cells: median "
        "over all pairs <sub>90 % bootstrap interval</sub>. The long phases (~10 s) show "
        "what a running profiler costs: continuous profiling starts once and sends a chunk "
        "a minute, while each short phase pays a start, a chunk and a stop. How and why: "
        "`benchmarks/profiler_overhead.py`.",
        "",
        header,
    ]
    lines += [_row(f"`{sdk}`", found) for sdk, found in by_sdk.items()]
    if long_ones:
        steady_requests = long_ones[0]["requests"]
        lines += [
            _row(f"`{sdk}`, phases of {steady_requests:,} requests", found)
            for sdk, found in steady.items()
        ]
    if busy_found:
        lines += [
            "",
            "What being sampled costs an application thread, measured on one busy thread "
            f"(`profiler_busy_thread.py`, windows of {busy_ones[0]['window_s']} s, running "
            "and stopped, pairs alternating): the extra mean CPU time of a request, in % of "
            "a request's. Cells: median over all pairs <sub>90 % bootstrap interval</sub>."
            + (
                f" These processes are from `{data['busy_command']}` ({data['busy_when']}, "
                f"commit `{data['busy_commit']}`)."
                if data.get("busy_command")
                else ""
            ),
            "",
            "| process | pairs | requests per window | CPU per request (ms) | app thread (%) |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{sdk}` | {found['pairs']} | {found['requests']:.0f} | "
            f"{found['ms_per_request']:.2f} | {_cell(found['app_thread'])} |"
            for sdk, found in busy_found.items()
        ]
    ours, theirs = by_sdk["scopetel"], by_sdk["sentry_sdk"]
    measured = ours["sampler"][0] + ours["sdk_threads"][0]
    verdicts = []
    if long_ones and busy_found:
        app = {sdk: found["app_thread"] for sdk, found in busy_found.items()}
        verdicts += _running(
            "overhead ≤ 1 % CPU, a running profiler (sampler + SDK threads in the long "
            "phases, app threads measured on one busy thread)",
            steady,
            app,
        )
    if long_ones:
        app = {sdk: found["app_threads"] for sdk, found in by_sdk.items()}
        verdicts += _running(
            "the same, app threads from the service's short pairs instead (noise-bound)"
            if busy_found
            else "overhead ≤ 1 % CPU, a running profiler (sampler + SDK threads in the long "
            "phases, app threads over the short pairs)",
            steady,
            app,
        )
    verdicts += [
        (
            "overhead ≤ 1 % CPU, a start, a chunk and a stop every short phase (whole process)",
            f"{_cell(ours['overhead'])} %; sampler + SDK threads alone {measured:.2f} %",
            ours["overhead"][0] <= TARGET_OVERHEAD_PCT,
        ),
        (
            "overhead ≤ sentry-sdk's",
            f"{ours['overhead'][0]:.2f} % vs {theirs['overhead'][0]:.2f} %",
            ours["overhead"][0] <= theirs["overhead"][0],
        ),
        (
            "sampler thread ≤ sentry-sdk's",
            f"{ours['sampler'][0]:.2f} % vs {theirs['sampler'][0]:.2f} %",
            ours["sampler"][0] <= theirs["sampler"][0],
        ),
    ]
    lines += ["", "| target | value (medians) | result |", "|---|---|---|"]
    for label, value, passed in verdicts:
        lines.append(f"| {label} | {value} | **{'PASS' if passed else 'FAIL'}** |")
    parts = [p for p in data["processes"] if p.get("without")]
    if parts:
        lines += [
            "",
            "What each part of scopetel's profiler costs: one process each with the part "
            "switched off (`profiler_workload.py --without`): `detached` (every pass "
            "takes the GIL, reading the threads' frames in C: `profiler_detached=False`, "
            "or where passes without the GIL cannot run), `threads` (each thread keyed "
            "in C from its frame objects, as on a CPython whose frame layout "
            "`scopetel-stackwalk` does not know), `native` (stacks keyed by "
            "the Python walk, as where `scopetel-stackwalk`'s C part is not built), "
            "`links` (no profiler/thread "
            "attributes on spans, so none in transactions), `tasks` (no asyncio task "
            "lookup), `send` (chunks neither encoded nor sent), `walk` (the thread wakes "
            "at the same rate but reads no stack; with the GIL), and the last four "
            "together (with the GIL).",
            "",
            header,
        ]
        for process in parts:
            label = ", ".join(process["without"])
            lines.append(_row(f"without `{label}`", figures([process])))
    lines.append(end)
    return "\n".join(lines)


def write(data: dict[str, Any]) -> None:
    raw, start, end = _outputs(data.get("at_once", 1), data.get("idle", IDLE))
    section = render(data)
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    raw.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()


def _busy_only(rounds: int, pairs: int, window: float, save: bool) -> int:
    """The saved one-process run with its busy-thread processes measured anew."""
    raw = _outputs(1, IDLE)[0]
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
        write(json.loads(_outputs(args.processes, args.idle)[0].read_text(encoding="utf-8")))
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
