"""The benchmark harness: what a workload module declares, how it is run and measured.

A workload module (``benchmarks/workloads/<name>.py``) defines

* ``TITLE`` and ``DESCRIPTION`` (Markdown, for the report);
* ``VARIANTS``: the implementations (or implementation-scenario pairs) it compares;
* ``METRICS``: :class:`Metric` s that ``measure`` returns, in report order;
* ``TARGETS``: :class:`Target` s evaluated on the medians of the same run;
* ``MAX_ROUNDS`` (optional): a cap on rounds for slow workloads;
* ``measure(variant, quick) -> dict``: runs in a fresh interpreter and returns metric
  values (numbers), plus optional ``info`` (a dict of strings) for the report;

and ends with ``if __name__ == "__main__": harness.main(measure, VARIANTS)`` so that
``python -m benchmarks.workloads.<name> <variant> [--quick] [--profile]`` runs one
variant alone. OpenTelemetry's global TracerProvider can be set once per process and
each SDK patches process-wide state, so every variant of every round gets its own
interpreter (:func:`run_variant`).
"""

import argparse
import cProfile
import gc
import io
import json
import math
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks import impls

ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCHMARK-RESULT "
# Profiles leave out the import machinery, the harness and the garbage collections it forces.
PROFILE_FILTER = (
    r"^(?!.*(<frozen |<module>|builtins\.exec|__import__|_handle_fromlist|gc\.collect"
    r"|harness\.py|\(measure\)|_call_with_frames_removed))"
)
Measure = Callable[[str, bool], dict[str, Any]]


@dataclass(frozen=True)
class Metric:
    """A number a workload reports per run."""

    name: str
    unit: str
    description: str
    lower_is_better: bool = True
    digits: int = 1
    timing: bool = False  # worth a cProfile when its target fails


@dataclass(frozen=True)
class Target:
    """A goal on a median: absolute, or a ratio to another variant (and metric).

    With ``baseline`` set the value compared is ``median(metric of variant) /
    median(baseline_metric of baseline)``; ``baseline_metric`` defaults to ``metric``.
    """

    label: str
    metric: str
    variant: str
    baseline: str | None = None
    baseline_metric: str | None = None
    at_most: float | None = None
    at_least: float | None = None

    def passes(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.at_most is not None and value > self.at_most:
            return False
        return not (self.at_least is not None and value < self.at_least)

    @property
    def limit(self) -> str:
        kind = "x" if self.baseline else ""
        parts = []
        if self.at_least is not None:
            parts.append(f"≥ {self.at_least:g}{kind}")
        if self.at_most is not None:
            parts.append(f"≤ {self.at_most:g}{kind}")
        return " and ".join(parts)


# -- in the measured process -------------------------------------------------------------
class Timing(NamedTuple):
    """Best per op over the repeats: process CPU time (every thread), and wall time."""

    cpu_ns: float
    wall_ns: float


def per_op_ns(
    batch: Callable[[], object],
    ops_per_batch: int,
    *,
    finish: Callable[[], object] | None = None,
    repeats: int = 11,
    repeat_s: float = 0.08,
    warmup_s: float = 0.1,
    quick: bool = False,
) -> Timing:
    """The least nanoseconds per op of ``batch`` (+ ``finish``) over ``repeats``.

    Each repeat runs ``batch`` as many times as one repeat needs to last about
    ``repeat_s`` (calibrated after the warm-up), then ``finish`` once (a flush that
    must be paid for, such as a background exporter's); both are inside the timing.
    Process CPU time counts the work of background threads (exporters) too and is not
    inflated by other processes merely waiting for a core; but a process on the
    sibling hardware thread still slows every instruction, so the least of many short
    repeats (the one least disturbed) estimates the cost best, as ``timeit`` does.
    """
    if quick:
        repeats, repeat_s, warmup_s = 3, 0.03, 0.03
    deadline = time.perf_counter() + warmup_s
    calls = 0
    while time.perf_counter() < deadline or calls < 2:
        batch()
        calls += 1
    if finish is not None:
        finish()
    start = time.perf_counter()
    batch()
    one = max(time.perf_counter() - start, 1e-7)
    loops = max(1, math.ceil(repeat_s / one))
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(repeats):
        gc.collect()
        cpu_start, wall_start = time.process_time_ns(), time.perf_counter_ns()
        for _ in range(loops):
            batch()
        if finish is not None:
            finish()
        ops = loops * ops_per_batch
        cpu.append((time.process_time_ns() - cpu_start) / ops)
        wall.append((time.perf_counter_ns() - wall_start) / ops)
    return Timing(min(cpu), min(wall))


def recording_ns(
    batch: Callable[[], object],
    ops_per_batch: int,
    *,
    before: Callable[[], object],
    after: Callable[[], object],
    repeats: int = 15,
    quick: bool = False,
) -> Timing:
    """The least nanoseconds per op of ``batch`` alone, on the calling thread.

    ``before`` (open a root span) and ``after`` (end it, flush) run around every repeat
    outside the timing, so what is measured is what the application thread pays for each
    op while its transaction is open: the CPU time of this thread (background exporters
    left out), and wall time.
    """
    if quick:
        repeats = 3
    before()
    batch()  # warm up
    after()
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(repeats):
        before()
        gc.collect()
        cpu_start, wall_start = time.thread_time_ns(), time.perf_counter_ns()
        batch()
        cpu.append((time.thread_time_ns() - cpu_start) / ops_per_batch)
        wall.append((time.perf_counter_ns() - wall_start) / ops_per_batch)
        after()
    return Timing(min(cpu), min(wall))


class Stopwatch:
    """CPU (whole process) and wall seconds of a ``with`` block."""

    cpu_s = wall_s = 0.0

    def __enter__(self) -> "Stopwatch":
        self._cpu, self._wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cpu_s = time.process_time() - self._cpu
        self.wall_s = time.perf_counter() - self._wall


def main(measure: Measure, variants: Sequence[str]) -> None:
    """Command line of a workload module: run one variant, print its JSON result."""
    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__)
    parser.add_argument("variant", choices=list(variants))
    parser.add_argument("--quick", action="store_true", help="small sizes, for smoke runs")
    parser.add_argument(
        "--profile",
        nargs="?",
        const=30,
        type=int,
        metavar="N",
        help="run under cProfile; print the top N functions by cumulative time to stderr",
    )
    args = parser.parse_args()
    if args.profile:
        profiler = cProfile.Profile()
        result = profiler.runcall(measure, args.variant, args.quick)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats("cumulative").print_stats(PROFILE_FILTER, args.profile)
        print(out.getvalue(), file=sys.stderr)
    else:
        result = measure(args.variant, args.quick)
    sys.stdout.flush()
    print(RESULT_PREFIX + json.dumps(result, sort_keys=True), flush=True)


# -- in the driver -----------------------------------------------------------------------
def source_paths() -> list[str]:
    """The source directories of this tree, so a copy of the repository measures itself."""
    paths = [ROOT, ROOT / "src", *sorted(ROOT.glob("exporters/*/src"))]
    paths += sorted(ROOT.glob("instrumentors/*/src"))
    return [str(path) for path in paths if path.is_dir()]


def clean_env() -> dict[str, str]:
    """The driver's environment without SENTRY_*/OTEL_* settings that would skew a run.

    ``PYTHONPATH`` puts this tree's sources before the virtualenv's editable installs,
    which point at the main checkout: ``git worktree add /tmp/w HEAD`` then
    ``python /tmp/w/benchmarks/run.py`` measures HEAD even while the checkout changes.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "OTEL_"))}
    env["PYTHONPATH"] = os.pathsep.join([*source_paths(), *filter(None, [env.get("PYTHONPATH")])])
    return env


def run_variant(
    workload: str,
    variant: str,
    *,
    quick: bool,
    timeout: float,
    profile: int | None = None,
) -> dict[str, Any]:
    """Run one variant in a fresh interpreter (:func:`impls.python_for`); its result, or
    ``{"error": ...}``."""
    python = impls.python_for(variant)
    if not python.exists():
        return {"error": f"{python} is missing: run bash scripts/setup.sh"}
    command = [str(python), "-m", f"benchmarks.workloads.{workload}", variant]
    if quick:
        command.append("--quick")
    if profile:
        command += ["--profile", str(profile)]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s"}
    elapsed = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-8:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["process_s"] = round(elapsed, 3)
    if profile:
        result["profile"] = done.stderr
    return result


def summarize(values: Sequence[float]) -> dict[str, float]:
    """Median, quartiles, extremes and count of the values of one metric."""
    ordered = sorted(values)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "median": statistics.median(ordered),
        "min": ordered[0],
        "max": ordered[-1],
        "q1": q1,
        "q3": q3,
        "n": len(ordered),
    }
