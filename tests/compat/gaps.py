"""Where scopetel does not match yet: ``known_gaps.toml``, Relay's verdict, a gap's cause."""

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentry_relay import StoreNormalizer

from tests.compat import compare
from tests.compat import summary as summaries
from tests.compat.runner import EXPECTED, Run

KNOWN_GAPS = Path(__file__).resolve().parent / "known_gaps.toml"
_NORMALIZER = StoreNormalizer()
CAUSES = (
    (re.compile(r"ModuleNotFoundError|cannot import name"), "missing module or name"),
    (re.compile(r"AttributeError"), "missing attribute"),
    (re.compile(r"TypeError: .*(keyword|argument)"), "unsupported argument"),
)


@dataclass(frozen=True)
class Gap:
    script: str
    cause: str  # missing module or name, missing attribute, unsupported argument, …
    detail: str  # the first error, or the first differing fields
    reason: str  # for [compare] ('' when the summary matches)
    relay: str  # for [relay] ('' when Relay accepts everything)


def known_gaps() -> tuple[dict[str, str], dict[str, str]]:
    """``([compare] entries, [relay] entries)`` of ``known_gaps.toml``."""
    if not KNOWN_GAPS.exists():
        return {}, {}
    data = tomllib.loads(KNOWN_GAPS.read_text())
    return dict(data.get("compare", {})), dict(data.get("relay", {}))


def expected(script: str) -> summaries.Summary | None:
    path = EXPECTED / f"{script}.json"
    return json.loads(path.read_text()) if path.exists() else None


def mismatches(run: Run) -> list[str]:
    """How ``run``'s summary differs from the recorded one (deliberate differences aside)."""
    recorded = expected(run.script)
    if recorded is None:
        return [f"no recording: run python -m tests.compat.record {run.script}"]
    actual = summaries.summarize(run)
    return compare.differences(
        compare.allow(run.script, recorded), compare.allow(run.script, actual)
    )


def _meta_paths(value: Any, path: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found |= {path} if key == "_meta" else _meta_paths(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found |= _meta_paths(inner, f"{path}[{index}]")
    return found


def relay_problems(run: Run) -> list[str]:
    """What Relay's normalizer reports on every event and transaction of ``run``: errors,
    and ``_meta`` entries (Relay trimmed or removed data) beyond those the SDK sent."""
    problems: list[str] = []
    for envelope in run.envelopes:
        for headers, payload in envelope.items:
            if headers.get("type") not in ("event", "transaction"):
                continue
            normalized = _NORMALIZER.normalize_event(payload)
            if normalized.get("errors"):
                problems.append(f"{headers['type']}: errors {normalized['errors']!r}")
            for path in sorted(_meta_paths(normalized) - _meta_paths(payload)):
                problems.append(f"{headers['type']}: Relay changed {path or '<event>'}")
    return problems


def find_gap(run: Run) -> Gap | None:
    """``run``'s gap (scopetel's run of a script) or None when it matches and is valid."""
    differing = mismatches(run)
    relay = relay_problems(run)
    if not differing and not relay:
        return None
    recorded = expected(run.script) or {}
    if run.exit_code != recorded.get("exit_code", 0) and run.first_error:
        detail = run.first_error
        cause = next((c for p, c in CAUSES if p.search(detail)), "error at run time")
    elif differing:
        detail = "; ".join(differing[:3]) + (f" (+{len(differing) - 3})" if differing[3:] else "")
        cause = "data difference"
    else:
        detail, cause = relay[0], "rejected by Relay"
    reason = f"{cause}: {detail}" if differing else ""
    return Gap(run.script, cause, detail, reason[:300], "; ".join(relay)[:300])
