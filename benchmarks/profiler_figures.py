"""The profiler benchmark's statistics: per pair of phases (or windows), the overhead and
its parts in % of the stopped one's CPU, pooled over processes as a median with a 90 %
bootstrap interval (``profiler_overhead.py`` runs the processes, ``profiler_report.py``
writes the tables)."""

import math
import random
import statistics
from typing import Any

SDKS = ("scopetel", "sentry_sdk")
COMPONENTS = ("overhead", "sampler", "sdk_threads", "app_threads")


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
