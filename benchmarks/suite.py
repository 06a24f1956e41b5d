"""The driver behind ``benchmarks/run.py``: rounds of alternating fresh processes.

Round after round, every workload runs each of its variants once, each in a fresh
interpreter, in an order rotated every round so that no variant always runs first
(or right after a given one) on a machine whose speed drifts.
"""

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import harness, report
from benchmarks.workloads import ALL

DEFAULT_ROUNDS = 5


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Run scopetel, the OpenTelemetry SDK and sentry-sdk side by side.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (smoke)")
    parser.add_argument("--rounds", type=int, help=f"rounds (default {DEFAULT_ROUNDS}; quick 1)")
    parser.add_argument("--only", help="comma-separated workloads: " + ", ".join(ALL))
    parser.add_argument(
        "--out",
        type=Path,
        default=harness.ROOT / "benchmarks",
        help="directory for RESULTS.md and results.json (default: benchmarks/)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per process")
    parser.add_argument(
        "--profile-failing",
        action="store_true",
        help="then cProfile the variant of each failing timing target into PROFILES.md",
    )
    parser.add_argument(
        "--profiles-only",
        action="store_true",
        help="only write PROFILES.md, for the failing targets of OUT/results.json",
    )
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else DEFAULT_ROUNDS
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    names = args.only.split(",") if args.only else list(ALL)
    unknown = sorted(set(names) - set(ALL))
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(unknown)}")
    args.workloads = [name for name in ALL if name in names]
    return args


def load(names: list[str]) -> dict[str, ModuleType]:
    return {name: importlib.import_module(f"benchmarks.workloads.{name}") for name in names}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_rounds(args: argparse.Namespace, modules: dict[str, ModuleType]) -> dict[str, Any]:
    """Every round of every workload; the raw runs per workload and variant."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in modules}
    for round_index in range(args.rounds):
        for name, module in modules.items():
            max_rounds = getattr(module, "MAX_ROUNDS", None)
            if max_rounds is not None and round_index >= max_rounds:
                continue
            variants = list(module.VARIANTS)
            shift = round_index % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                started = time.monotonic()
                result = harness.run_variant(name, variant, quick=args.quick, timeout=args.timeout)
                result["round"] = round_index
                runs[name].setdefault(variant, []).append(result)
                status = result.get("error", "ok")
                _log(
                    f"[round {round_index + 1}/{args.rounds}] {name} {variant}: "
                    f"{time.monotonic() - started:.1f}s {status}"
                )
    return runs


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=harness.ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def profile_failing(
    results: dict[str, Any], modules: dict[str, ModuleType], args: argparse.Namespace
) -> str:
    """cProfile output (top functions by cumulative time) of each failing timing target."""
    sections = [
        "# Profiles of failing timing targets",
        "",
        f"cProfile, top functions by cumulative time (import machinery and the harness left "
        f"out), of scopetel at commit `{_commit()}`; `--profile N` shows the top N.",
        "",
    ]
    done: set[tuple[str, str]] = set()
    for name, data in results["workloads"].items():
        timing = {metric.name for metric in modules[name].METRICS if metric.timing}
        for target in data["targets"]:
            key = (name, target["variant"])
            if target["pass"] or target["metric"] not in timing or key in done:
                continue
            done.add(key)
            _log(f"profiling {name} {target['variant']}")
            result = harness.run_variant(
                name, target["variant"], quick=args.quick, timeout=args.timeout, profile=40
            )
            text = result.get("profile") or result.get("error", "")
            command = f"python -m benchmarks.workloads.{name} {target['variant']} --profile"
            sections += [f"## {data['title']} — `{target['variant']}`", "", f"`{command}`", ""]
            sections += ["```", text.strip(), "```", ""]
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    modules = load(args.workloads)
    if args.profiles_only:
        results = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
        results["workloads"] = {
            name: data for name, data in results["workloads"].items() if name in modules
        }
        path = args.out / "PROFILES.md"
        path.write_text(profile_failing(results, modules, args), encoding="utf-8")
        _log(f"wrote {path}")
        return 0
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    started = time.monotonic()
    runs = run_rounds(args, modules)
    command = "python benchmarks/run.py" + " ".join(
        [""] + (["--quick"] if args.quick else []) + [f"--rounds {args.rounds}"]
    )
    if args.only:
        command += f" --only {args.only}"
    results: dict[str, Any] = {
        "meta": {
            "command": command,
            "rounds": args.rounds,
            "quick": args.quick,
            "started": started_at,
            "duration_s": time.monotonic() - started,
            "python": platform.python_version(),
            "cpu": _cpu(),
            "cores": os.cpu_count(),
            "commit": _commit(),
        },
        "workloads": {name: report.summarize_workload(modules[name], runs[name]) for name in runs},
    }
    report.write(results, modules, args.out)
    failed = [
        f"{data['title']}: {target['label']}"
        for data in results["workloads"].values()
        for target in data["targets"]
        if not target["pass"]
    ]
    _log(f"wrote {args.out / 'RESULTS.md'} in {results['meta']['duration_s'] / 60:.1f} min")
    _log("failing targets:\n  " + "\n  ".join(failed) if failed else "every target met")
    if args.profile_failing and failed:
        path = args.out / "PROFILES.md"
        path.write_text(profile_failing(results, modules, args), encoding="utf-8")
        _log(f"wrote {path}")
    errors = sum(
        1
        for variant_runs in runs.values()
        for results_of_variant in variant_runs.values()
        for run in results_of_variant
        if "error" in run
    )
    return 1 if errors else 0
