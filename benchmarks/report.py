"""Summaries, target verdicts, ``RESULTS.md`` and ``results.json`` from one run.

Values are medians over rounds (each round a fresh process per variant). A ratio
target compares medians; its spread is the range of the same ratio computed round
by round, since the variants of one round ran back to back.
"""

import json
import math
import statistics
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.harness import Metric, Target, summarize

LEGEND = (
    "`scopetel` and `sentry_sdk`: the SDKs with a transport that serializes each envelope; "
    "`otel_sdk`: the OpenTelemetry SDK (BatchSpanProcessor and an OTLP-encoding exporter, "
    "unless the workload says otherwise); `otel_api`: the OpenTelemetry API with no SDK; "
    "`otel_context`: OpenTelemetry's context API alone."
)


def values(runs: list[dict[str, Any]], metric: str) -> list[float]:
    return [float(run[metric]) for run in runs if "error" not in run and metric in run]


def _by_round(runs: list[dict[str, Any]], metric: str) -> dict[int, float]:
    return {
        int(run["round"]): float(run[metric])
        for run in runs
        if "error" not in run and metric in run
    }


def evaluate(target: Target, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The target's value (median or ratio of medians), per-round spread and verdict."""
    mine = runs.get(target.variant, [])
    if target.baseline is None:
        found = values(mine, target.metric)
        value = statistics.median(found) if found else math.nan
        spread = [min(found), max(found)] if found else []
    else:
        base_metric = target.baseline_metric or target.metric
        base = runs.get(target.baseline, [])
        found, base_found = values(mine, target.metric), values(base, base_metric)
        value = (
            statistics.median(found) / statistics.median(base_found)
            if found and base_found and statistics.median(base_found)
            else math.nan
        )
        ours, theirs = _by_round(mine, target.metric), _by_round(base, base_metric)
        ratios = [ours[r] / theirs[r] for r in ours if theirs.get(r)]
        spread = [min(ratios), max(ratios)] if ratios else []
    return {
        "label": target.label,
        "metric": target.metric,
        "variant": target.variant,
        "baseline": target.baseline,
        "limit": target.limit,
        "value": value,
        "spread": spread,
        "pass": target.passes(value),
    }


def summarize_workload(module: ModuleType, runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per variant and metric: median, quartiles, extremes; and every target's verdict."""
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for variant in module.VARIANTS:
        for metric in module.METRICS:
            found = values(runs.get(variant, []), metric.name)
            if found:
                summary.setdefault(variant, {})[metric.name] = summarize(found)
    return {
        "title": module.TITLE,
        "description": module.DESCRIPTION,
        "runs": runs,
        "summary": summary,
        "targets": [evaluate(target, runs) for target in module.TARGETS],
    }


def _number(value: float, digits: int) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def _ratio(target: dict[str, Any]) -> str:
    unit = "x" if target["baseline"] else ""
    value = target["value"]
    text = "n/a" if math.isnan(value) else f"{value:.2f}{unit}"
    if len(target["spread"]) == 2 and target["spread"][0] != target["spread"][1]:
        low, high = target["spread"]
        text += f" ({low:.2f}-{high:.2f})"
    return text


def _verdict(target: dict[str, Any]) -> str:
    return "**PASS**" if target["pass"] else "**FAIL**"


def _metric_cell(stats: dict[str, float] | None, metric: Metric) -> str:
    if stats is None:
        return "—"
    cell = _number(stats["median"], metric.digits)
    if stats["n"] > 1 and stats["min"] != stats["max"]:
        low, high = _number(stats["min"], metric.digits), _number(stats["max"], metric.digits)
        cell += f" <sub>{low}-{high}</sub>"
    return cell


def _workload_section(index: int, module: ModuleType, data: dict[str, Any]) -> list[str]:
    lines = [f"## {index}. {data['title']}", "", data["description"], ""]
    metrics: tuple[Metric, ...] = module.METRICS
    header = "| variant | " + " | ".join(f"{m.name} ({m.unit or '#'})" for m in metrics) + " |"
    lines += [header, "|---" * (len(metrics) + 1) + "|"]
    for variant in module.VARIANTS:
        stats = data["summary"].get(variant, {})
        cells = [_metric_cell(stats.get(m.name), m) for m in metrics]
        lines.append(f"| `{variant}` | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"- `{m.name}`: {m.description}" for m in metrics]
    notes = _notes(data["runs"])
    if notes:
        lines += ["", *notes]
    if data["targets"]:
        lines += ["", "| target | value (per-round range) | result |", "|---|---|---|"]
        for target in data["targets"]:
            lines.append(f"| {target['label']} | {_ratio(target)} | {_verdict(target)} |")
    lines.append("")
    return lines


def _notes(runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    notes: list[str] = []
    for variant, variant_runs in runs.items():
        for run in variant_runs:
            if "error" in run:
                notes.append(f"- `{variant}` round {run['round'] + 1} failed: {run['error']}")
        infos = {json.dumps(run.get("info"), sort_keys=True) for run in variant_runs}
        infos.discard("null")
        infos.discard("{}")
        for info in sorted(infos):
            text = "; ".join(f"{k}: {v}" for k, v in json.loads(info).items())
            notes.append(f"- `{variant}`: {text}")
    return notes


def markdown(results: dict[str, Any], modules: dict[str, ModuleType]) -> str:
    meta = results["meta"]
    lines = [
        "# Benchmark results",
        "",
        f"`{meta['command']}` — {meta['rounds']} round(s), {meta['started']}, "
        f"{meta['duration_s'] / 60:.1f} min; Python {meta['python']}, {meta['cpu']} "
        f"({meta['cores']} cores); commit `{meta['commit']}`.",
        "",
        "Each variant ran in a fresh process per round, variants alternating (order "
        "rotated every round). Cells: median <sub>min-max over rounds</sub>. Times are "
        "the CPU time of the whole process (every thread, so background exporters count) "
        "unless named wall: the machine is shared, and other processes inflate wall time "
        "far more than CPU time. " + LEGEND,
        "",
        "## Targets",
        "",
        "| workload | target | value (per-round range) | result |",
        "|---|---|---|---|",
    ]
    for data in results["workloads"].values():
        for target in data["targets"]:
            lines.append(
                f"| {data['title']} | {target['label']} | {_ratio(target)} | {_verdict(target)} |"
            )
    lines.append("")
    for index, (name, data) in enumerate(results["workloads"].items(), start=1):
        lines += _workload_section(index, modules[name], data)
    return "\n".join(lines)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def write(results: dict[str, Any], modules: dict[str, ModuleType], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "RESULTS.md").write_text(markdown(results, modules), encoding="utf-8")
    text = json.dumps(_json_safe(results), indent=1, sort_keys=True, ensure_ascii=False)
    (out_dir / "results.json").write_text(text + "\n", encoding="utf-8")
