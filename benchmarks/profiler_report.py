"""The profiler benchmark's section of ``benchmarks/RESULTS.md``: the tables and the
verdicts on the ≤ 1 % target, from a run's raw processes (``profiler_overhead.py``)."""

import json
from pathlib import Path
from typing import Any

from benchmarks.profiler_figures import COMPONENTS, SDKS, busy_figures, figures

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
IDLE = 4  # profiler_workload.py's idle threads, unless --idle
TARGET_OVERHEAD_PCT = 1.0


def outputs(at_once: int, idle: int = IDLE) -> tuple[Path, str, str]:
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
    _, start, end = outputs(at_once, idle)
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
    raw, start, end = outputs(data.get("at_once", 1), data.get("idle", IDLE))
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
