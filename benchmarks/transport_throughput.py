"""Transport throughput: scopetel's HttpTransport and sentry-sdk's, side by side in one run.

``python -m benchmarks.transport_throughput [--quick] [--rounds N] [--sentry-python PATH]
[--write]``

Each run starts a fresh fake backend (``benchmarks.backend_server``, its own process on
127.0.0.1): *healthy* answers at once, *100ms* answers every request after 100 ms (a
distant Sentry; requests are served concurrently). A load process
(``benchmarks.transport_load``, one per run, the sentry-sdk side under
``--sentry-python``) hands the SDK's own HTTP transport transaction envelopes (1 root +
10 spans, the same JSON for both) either *steady*, 1,000/s for 10 s, or as a *burst* of
2,000 back to back, then flushes (up to 30 s) and closes (2 s). Measured: what the backend
accepted, what each SDK counted as dropped (client reports the backend received plus
counts still pending at exit) by reason, what is unaccounted for, delivered envelopes per
second from the first capture until the flush returned, and the application thread's
cost of ``capture_envelope``, p50 and p99, next to the median cost of building the
envelope from the payload (scopetel encodes the JSON there; sentry-sdk in its worker).
``threads``: the
load process's threads besides its main one when the captures ended (the sender
threads). A capture waits for no socket; what it costs beyond its own work is the wait for the GIL
while sender threads hold it, so it grows with the threads sending at once.

scopetel runs with what ``scopetel.init`` passes (a 1,000-envelope queue) and its
defaults otherwise (``pool_size=24``), and again with ``pool_size=4`` to show what the
number of connections buys and costs; sentry-sdk with its defaults (a 100-envelope
queue), and again with ``transport_queue_size=1000`` so the queue is not the only
difference. ``--write``
replaces this benchmark's section of ``benchmarks/RESULTS.md`` (between its markers),
leaving the rest of the file alone, and keeps the raw rows in
``benchmarks/transport_throughput.json`` (``--render`` rebuilds the section from them).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks.workloads.backend import Backend

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
RAW = ROOT / "benchmarks" / "transport_throughput.json"  # the rows of the last --write
SENTRY_PYTHON = ROOT / ".venv-sentry-sdk" / "bin" / "python"  # made by scripts/setup.sh
START, END = "<!-- transport_throughput: start -->", "<!-- transport_throughput: end -->"


class Scenario(NamedTuple):
    backend: str  # label
    mode: str  # backend_server --mode
    delay: float


class Workload(NamedTuple):
    name: str
    envelopes: int
    rate: float  # per second; 0: back to back


class Impl(NamedTuple):
    name: str
    sdk: str  # transport_load --impl
    extra: tuple[str, ...] = ()


SCENARIOS = (Scenario("healthy", "healthy", 0.0), Scenario("100ms", "slow", 0.1))
IMPLS = (
    Impl("scopetel", "scopetel"),
    Impl("scopetel pool_size=4", "scopetel", ("--pool-size", "4")),
    Impl("sentry_sdk", "sentry_sdk"),
    Impl("sentry_sdk q=1000", "sentry_sdk", ("--queue-size", "1000")),
)


WORKLOAD_NAMES = ("steady 1000/s", "burst")
Results = dict[tuple[str, str, str], list[dict[str, Any]]]


def workloads(quick: bool) -> tuple[Workload, ...]:
    if quick:
        return (Workload(WORKLOAD_NAMES[0], 2_000, 1000.0), Workload(WORKLOAD_NAMES[1], 500, 0.0))
    return (Workload(WORKLOAD_NAMES[0], 10_000, 1000.0), Workload(WORKLOAD_NAMES[1], 2_000, 0.0))


def run_one(
    scenario: Scenario, workload: Workload, impl: Impl, python: dict[str, str]
) -> dict[str, Any]:
    """One load process against one fresh backend; the row of figures it gave."""
    backend = Backend(scenario.mode, scenario.delay)
    try:
        command = [python[impl.sdk], "-m", "benchmarks.transport_load"]
        command += ["--impl", impl.sdk, "--url", backend.url]
        command += ["--count", str(workload.envelopes), "--rate", str(workload.rate), *impl.extra]
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{impl.name} failed:\n{done.stderr[-3000:]}")
        load = json.loads(done.stdout.strip().splitlines()[-1])
        time.sleep(0.2)  # the backend finishes counting what arrived last
        stats = backend.stats()
    finally:
        backend.stop()
    return _row(workload.envelopes, load, stats)


def _row(produced: int, load: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    delivered = int(stats["delivered"].get("transaction", 0))
    dropped: dict[str, int] = {}
    for source in (stats["reported"], load["pending_after_close"]):
        for key, quantity in source.items():
            reason, _, category = key.partition(":")
            if category == "transaction":
                dropped[reason] = dropped.get(reason, 0) + int(quantity)
    return {
        "produced": produced,
        "delivered": delivered,
        "dropped": dropped,
        "unaccounted": produced - delivered - sum(dropped.values()),
        "per_second": delivered / load["drained_s"],
        "drained_s": load["drained_s"],
        "build_p50_us": load["build_p50_us"],
        "capture_p50_us": load["capture_p50_us"],
        "capture_p99_us": load["capture_p99_us"],
        "threads": load["threads"],
    }


def _median(rows: list[dict[str, Any]], key: str) -> tuple[float, float, float]:
    values = [float(row[key]) for row in rows]
    return statistics.median(values), min(values), max(values)


def _cell(rows: list[dict[str, Any]], key: str, digits: int) -> str:
    middle, low, high = _median(rows, key)
    text = f"{middle:,.{digits}f}"
    if len(rows) > 1 and low != high:
        text += f" <sub>{low:,.{digits}f}-{high:,.{digits}f}</sub>"
    return text


def _dropped(rows: list[dict[str, Any]]) -> str:
    reasons = sorted({reason for row in rows for reason in row["dropped"]})
    if not reasons:
        return "none"
    parts = []
    for reason in reasons:
        values = [row["dropped"].get(reason, 0) for row in rows]
        text = f"{reason} {statistics.median(values):,.0f}"
        if min(values) != max(values):
            text += f" <sub>{min(values):,}-{max(values):,}</sub>"
        parts.append(text)
    return ", ".join(parts)


def markdown(results: Results, meta: str) -> str:
    lines = [
        START,
        "## Transport throughput: scopetel HttpTransport vs sentry-sdk 2.75 HttpTransport",
        "",
        meta,
        "",
        __doc__.split("\n\n", 2)[2].strip(),
        "",
        "| backend | workload | transport | produced | delivered | dropped (by reason) "
        "| unaccounted | delivered/s | threads | build p50 (µs) | capture p50 (µs) "
        "| capture p99 (µs) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (backend, workload, impl), rows in results.items():
        lines.append(
            f"| {backend} | {workload} | `{impl}` | {rows[0]['produced']:,} "
            f"| {_cell(rows, 'delivered', 0)} | {_dropped(rows)} "
            f"| {_cell(rows, 'unaccounted', 0)} | {_cell(rows, 'per_second', 0)} "
            f"| {_cell(rows, 'threads', 0)} | {_cell(rows, 'build_p50_us', 1)} "
            f"| {_cell(rows, 'capture_p50_us', 1)} | {_cell(rows, 'capture_p99_us', 1)} |"
        )
    lines += ["", *targets(results), "", END, ""]
    return "\n".join(lines)


def write_section(section: str) -> None:
    """Replace this benchmark's section of RESULTS.md, or append it."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def _sentry_version(python: str) -> str:
    probe = [python, "-c", "import sentry_sdk; print(sentry_sdk.VERSION)"]
    return subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()


def targets(results: Results) -> list[str]:
    """Issue 12's goals for scopetel's defaults, judged on every round of this run."""
    healthy = results.get(("healthy", "steady 1000/s", "scopetel"), [])
    slow = results.get(("100ms", "steady 1000/s", "scopetel"), [])
    lossless = [row["delivered"] == row["produced"] for row in healthy]
    rates = [row["per_second"] for row in slow]
    verdicts = [
        (
            "1,000 transactions/s to a healthy loopback backend lose nothing "
            "(default 1,000-envelope queue)",
            f"{sum(lossless)} of {len(lossless)} rounds delivered all",
            bool(lossless) and all(lossless),
        ),
        (
            "100 ms round trips sustain ≥ 200 envelopes/s",
            f"{min(rates, default=0):,.0f}-{max(rates, default=0):,.0f} delivered/s",
            bool(rates) and min(rates) >= 200,
        ),
    ]
    lines = ["| target (scopetel defaults) | measured | result |", "|---|---|---|"]
    for label, measured, passed in verdicts:
        lines.append(f"| {label} | {measured} | **{'PASS' if passed else 'FAIL'}** |")
    return lines


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every round of every cell; the raw rows and how the run went (``meta``)."""
    python = {"scopetel": sys.executable, "sentry_sdk": args.sentry_python}
    started, load_before = time.monotonic(), os.getloadavg()[0]
    rows: list[dict[str, Any]] = []
    for round_index in range(args.rounds):
        for scenario in SCENARIOS:
            for workload in workloads(args.quick):
                order = IMPLS[round_index % len(IMPLS) :] + IMPLS[: round_index % len(IMPLS)]
                for impl in order:
                    row = run_one(scenario, workload, impl, python)
                    row["cell"] = [scenario.backend, workload.name, impl.name]
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
    command = "python -m benchmarks.transport_throughput" + " --quick" * args.quick
    command += f" --rounds {args.rounds}" if args.rounds > 1 else ""
    meta = (
        f"`{command} --write` — {args.rounds} round(s), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{(time.monotonic() - started) / 60:.1f} min; Python {platform.python_version()}, "
        f"sentry-sdk {_sentry_version(args.sentry_python)}, {_commit()}; {os.cpu_count()} "
        f"cores, load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at "
        "the end. Cells: median <sub>min-max</sub> over rounds."
    )
    return {"meta": meta, "rows": rows}


def by_cell(rows: list[dict[str, Any]]) -> Results:
    """Rows grouped by (backend, workload, transport), in the order they were first run."""
    results: Results = {}
    for row in rows:
        backend, workload, impl = row["cell"]
        results.setdefault((backend, workload, impl), []).append(row)
    order = [(s.backend, w, i.name) for s in SCENARIOS for w in WORKLOAD_NAMES for i in IMPLS]
    return {key: results[key] for key in order if key in results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer envelopes (a smoke run)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per cell (medians)")
    parser.add_argument(
        "--sentry-python",
        default=str(SENTRY_PYTHON) if SENTRY_PYTHON.exists() else sys.executable,
        help="the interpreter that has the real sentry-sdk (default: .venv-sentry-sdk's; in"
        " .venv the sentry_sdk name is scopetel's, which would measure scopetel twice)",
    )
    parser.add_argument("--write", action="store_true", help=f"update RESULTS.md and {RAW.name}")
    parser.add_argument(
        "--render", action="store_true", help=f"only rebuild the section from {RAW.name}"
    )
    args = parser.parse_args(argv)
    run = json.loads(RAW.read_text(encoding="utf-8")) if args.render else measure(args)
    if args.write and not args.render:
        RAW.write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8")
    section = markdown(by_cell(run["rows"]), run["meta"])
    print(section)
    if args.write or args.render:
        write_section(section)
    return 0


def _commit() -> str:
    probe = ["git", "rev-parse", "--short", "HEAD"]
    done = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, check=False)
    return f"commit `{done.stdout.strip()}`" if done.returncode == 0 else "no commit"


if __name__ == "__main__":
    sys.exit(main())
