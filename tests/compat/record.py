"""Record the corpus's expectations from the real sentry-sdk, or list scopetel's gaps.

``.venv/bin/python -m tests.compat.record [SCRIPT ...]``
    runs each script (default: all) twice under ``.venv-sentry-sdk`` and writes
    ``tests/compat/expected/<script>.json``, refusing to record a script whose two
    summaries differ (the corpus must be deterministic; ``--once`` skips the check).
``.venv/bin/python -m tests.compat.record --gaps``
    runs every script under ``.venv`` (scopetel), rewrites ``known_gaps.toml`` and prints
    the gap table: the first error of a script that fails, else the differing fields.
"""

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.compat import compare
from tests.compat import summary as summaries
from tests.compat.gaps import (
    KNOWN_GAPS,
    expected,
    find_gap,
    known_gaps,
    mismatches,
    relay_problems,
)
from tests.compat.runner import EXPECTED, SCOPETEL_PYTHON, SENTRY_SDK_PYTHON, Run, run_script
from tests.compat.runner import scripts as all_scripts

WORKERS = 4
INDEX = re.compile(r"\[\d+\]")


def run_all(names: Iterable[str], python: Path) -> list[Run]:
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(lambda name: run_script(name, python), names))


def record(names: list[str], *, twice: bool) -> int:
    runs = run_all(names, SENTRY_SDK_PYTHON)
    again = run_all(names, SENTRY_SDK_PYTHON) if twice else runs
    status = 0
    EXPECTED.mkdir(exist_ok=True)
    for first, second in zip(runs, again, strict=True):
        one, two = summaries.summarize(first), summaries.summarize(second)
        unstable = compare.differences(one, two)
        if unstable:
            print(f"{first.script}: not deterministic, not recorded: {unstable[:5]}")
            status = 1
            continue
        if first.receiver_errors or relay_problems(first):
            print(f"{first.script}: sentry-sdk itself fails the checks: {relay_problems(first)}")
        path = EXPECTED / f"{first.script}.json"
        path.write_text(json.dumps(one, indent=1, sort_keys=True) + "\n")
        entries = sum(len(one.get(kind, [])) for kind in ("logs", "trace_metrics", "spans"))
        print(f"{first.script}: exit {first.exit_code}, items {one['items']}, entries {entries}")
    return status


def gaps(names: list[str]) -> int:
    """Run scopetel on ``names``; their entries in known_gaps.toml are replaced."""
    runs = run_all(names, SCOPETEL_PYTHON)
    found = [gap for run in runs if (gap := find_gap(run))]
    compare, relay = known_gaps()
    for name in names:
        compare.pop(name, None)
        relay.pop(name, None)
    compare.update({g.script: g.reason for g in found if g.reason})
    relay.update({g.script: g.relay for g in found if g.relay})
    write_known_gaps(compare, relay)
    print("| script | cause | first error, or first differing fields |\n|---|---|---|")
    for gap in sorted(found, key=lambda g: (g.cause, g.script)):
        print(f"| {gap.script} | {gap.cause} | {gap.detail.replace('|', '/')} |")
    print("\n| differing field (scripts that ran to the end) | scripts |\n|---|---|")
    fields = Counter(
        field
        for run in runs
        if not run.exit_code or run.exit_code == (expected(run.script) or {}).get("exit_code")
        for field in {INDEX.sub("[]", d.split(":")[0]) for d in mismatches(run)}
    )
    for field, count in fields.most_common():
        print(f"| `{field}` | {count} |")
    return 0


def write_known_gaps(compare: dict[str, str], relay: dict[str, str]) -> None:
    lines = [
        "# Corpus scripts scopetel does not match yet (issue 11). Tests (b) and (c) are",
        "# xfail(strict=True) from here: fixing a gap makes its test XPASS and fail until",
        "# the entry goes. Regenerate: .venv/bin/python -m tests.compat.record --gaps",
        "",
        "[compare]  # the summary differs from sentry-sdk's recorded one",
    ]
    lines += [f"{script} = {json.dumps(compare[script])}" for script in sorted(compare)]
    lines += ["", "[relay]  # an event or transaction fails Relay's normalizer"]
    lines += [f"{script} = {json.dumps(relay[script])}" for script in sorted(relay)]
    KNOWN_GAPS.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compat.record", description=__doc__)
    parser.add_argument("scripts", nargs="*", help="corpus scripts (default: all)")
    parser.add_argument("--once", action="store_true", help="skip the determinism check")
    parser.add_argument("--gaps", action="store_true", help="run scopetel, write known_gaps")
    args = parser.parse_args(argv)
    names = args.scripts or all_scripts()
    if args.gaps:
        return gaps(names)
    if not SENTRY_SDK_PYTHON.exists():
        parser.error(f"{SENTRY_SDK_PYTHON} is missing: run bash scripts/setup.sh")
    return record(names, twice=not args.once)


if __name__ == "__main__":
    sys.exit(main())
