"""Logs and metrics: a record sent as a Sentry log and a metric increment, scopetel next to
sentry-sdk 2.75.

``python -m benchmarks.signals [--rounds N] [--records N] [--repeats N] [--write]``

Each round runs every (workload, SDK) pair in a fresh process (``benchmarks.signals_load``;
sentry-sdk under ``.venv-sentry-sdk/bin/python``), alternating the SDKs, and keeps the
median CPU time per record of that process (every thread: the batch senders count).
Cells: median over rounds <sub>min-max</sub>. The target is scopetel ≤ 0.5x sentry-sdk's
CPU per record. ``--write`` replaces this benchmark's section of ``benchmarks/RESULTS.md``
(between its markers), leaving the rest of the file alone.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
START, END = "<!-- signals: start -->", "<!-- signals: end -->"
PYTHONS = {"scopetel": sys.executable, "sentry_sdk": str(ROOT / ".venv-sentry-sdk/bin/python")}
WORKLOADS = {
    "logging": "`logging` record (one argument) sent as a Sentry log",
    "logger": "`sentry_sdk.logger.info` (one parameter)",
    "metric": "`sentry_sdk.metrics.count` (one attribute)",
}
TARGET = 0.5


def run_one(impl: str, workload: str, records: int, repeats: int) -> dict[str, Any]:
    command = [PYTHONS[impl], "-m", "benchmarks.signals_load", "--impl", impl]
    command += ["--workload", workload, "--records", str(records), "--repeats", str(repeats)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{impl} {workload} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def spread(values: list[float], digits: int = 0) -> str:
    middle = statistics.median(values)
    return f"{middle:,.{digits}f} <sub>{min(values):,.{digits}f}-{max(values):,.{digits}f}</sub>"


def render(rows: dict[tuple[str, str], list[dict[str, Any]]], args: argparse.Namespace) -> str:
    load = os.getloadavg()[0]
    head = (
        f"`python -m benchmarks.signals --rounds {args.rounds} --records {args.records} "
        f"--repeats {args.repeats} --write` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        "; "
        f"Python {platform.python_version()}, sentry-sdk 2.75.0, {os.cpu_count()} cores, "
        f"load average {load:.1f} at the end."
    )
    lines = [
        START,
        "## Logs and metrics: scopetel vs sentry-sdk 2.75",
        "",
        head,
        "",
        __doc__.split("\n\n", 2)[2].split("``--write``")[0].strip(),
        "Both SDKs start with ``enable_logs=True`` and a transport that serializes each "
        "envelope to its wire bytes; scopetel's logs go through OpenTelemetry's "
        "``LoggerProvider`` (its Sentry processor only: no OTLP exporter configured).",
        "",
        "| workload | scopetel (ns/record) | sentry-sdk (ns/record) | ratio | wire bytes/record "
        "(scopetel / sentry-sdk) | target ≤ 0.5x |",
        "|---|---|---|---|---|---|",
    ]
    for workload, label in WORKLOADS.items():
        ours = [r["ns_per_record"] for r in rows[(workload, "scopetel")]]
        theirs = [r["ns_per_record"] for r in rows[(workload, "sentry_sdk")]]
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        ratio = statistics.median(ratios)
        sizes = [
            statistics.median(r["bytes_per_record"] for r in rows[(workload, impl)])
            for impl in ("scopetel", "sentry_sdk")
        ]
        wire = f"{sizes[0]:,.0f} / {sizes[1]:,.0f}"
        verdict = "**PASS**" if ratio <= TARGET else "**FAIL**"
        lines.append(
            f"| {label} | {spread(ours)} | {spread(theirs)} | {ratio:.2f}x "
            f"<sub>{min(ratios):.2f}-{max(ratios):.2f}</sub> | {wire} | {verdict} |"
        )
    lines.append(END)
    return "\n".join(lines)


def write(section: str) -> None:
    text = RESULTS.read_text()
    if START in text:
        before, _, rest = text.partition(START)
        _, _, after = rest.partition(END)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for round_index in range(args.rounds):
        order = ("scopetel", "sentry_sdk") if round_index % 2 == 0 else ("sentry_sdk", "scopetel")
        for workload in WORKLOADS:
            for impl in order:
                row = run_one(impl, workload, args.records, args.repeats)
                rows.setdefault((workload, impl), []).append(row)
                print(workload, impl, round(row["ns_per_record"]), file=sys.stderr)
    section = render(rows, args)
    print(section)
    if args.write:
        write(section)


if __name__ == "__main__":
    main()
