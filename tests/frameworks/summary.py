"""Condense a ``compare.py`` dump into the fields ``COMPARISON.md`` compares::

PYTHONPATH=. .venv/bin/python -m tests.frameworks.summary OUT_DIR/scopetel/blog.json
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def _spans(transaction: dict[str, Any]) -> list[str]:
    """Each span as ``indent op: description``, indented by depth under the root."""
    root = transaction["contexts"]["trace"]["span_id"]
    parents = {s["span_id"]: s.get("parent_span_id") for s in transaction.get("spans", [])}

    def depth(span_id: str) -> int:
        level = 0
        while span_id != root and span_id in parents and level < 20:
            span_id, level = parents[span_id] or root, level + 1
        return level

    return [
        f"{'  ' * depth(s['span_id'])}{s.get('op')}: {str(s.get('description'))[:70]}"
        f" [{s.get('status', '')}]"
        for s in sorted(transaction.get("spans", []), key=lambda s: s["start_timestamp"])
    ]


def transaction_line(t: dict[str, Any]) -> str:
    trace = t["contexts"]["trace"]
    info = t.get("transaction_info", {})
    return (
        f"{t.get('transaction')!r} source={info.get('source')} op={trace.get('op')} "
        f"status={trace.get('status')} origin={trace.get('origin')} tags={t.get('tags')} "
        f"user={t.get('user')} request={sorted(t.get('request', {}))} "
        f"spans={len(t.get('spans', []))}"
    )


def event_line(e: dict[str, Any]) -> str:
    values = (e.get("exception") or {}).get("values", [])
    errors = [(v.get("type"), v.get("mechanism")) for v in values]
    message = (e.get("logentry") or {}).get("message") or e.get("message")
    crumbs = [
        f"{b.get('category')}:{str(b.get('message'))[:40]}"
        for b in (e.get("breadcrumbs") or {}).get("values", [])
    ]
    trace = (e.get("contexts") or {}).get("trace", {})
    return (
        f"level={e.get('level')} logger={e.get('logger')} errors={errors} message={message!r}\n"
        f"    transaction={e.get('transaction')!r} source={e.get('transaction_info')} "
        f"trace.op={trace.get('op')}\n    tags={e.get('tags')} user={e.get('user')}\n"
        f"    request={ {k: v for k, v in (e.get('request') or {}).items() if k != 'headers'} }"
        f" headers={sorted((e.get('request') or {}).get('headers', {}))}\n"
        f"    extra={sorted(e.get('extra', {}))} contexts={sorted(e.get('contexts', {}))}\n"
        f"    breadcrumbs={crumbs}"
    )


def summarize(dump: dict[str, Any]) -> str:
    lines = [f"results: {dump['results']}  receiver errors: {dump['errors']}"]
    for phase in ("start-up and idle", "workload", "shutdown"):
        items = [
            item for env in dump["envelopes"] if env["phase"] == phase for item in env["items"]
        ]
        counts = Counter(item["headers"]["type"] for item in items)
        lines.append(f"== {phase}: {dict(counts)}")
        names = Counter(
            item["json"].get("transaction")
            for item in items
            if item["headers"]["type"] == "transaction"
        )
        if phase != "workload" and names:
            lines.append(f"  transaction names: {dict(names)}")
        for item in items:
            kind, payload = item["headers"]["type"], item["json"]
            if kind == "transaction" and phase == "workload":
                lines.append(f"  T {transaction_line(payload)}")
                lines.extend(f"      {span}" for span in _spans(payload))
            elif kind == "event":
                lines.append(f"  E {event_line(payload)}")
            elif kind in ("sessions", "session", "client_report"):
                lines.append(f"  {kind}: {json.dumps(payload)[:300]}")
    return "\n".join(lines)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        print(f"##### {path}")
        print(summarize(json.loads(Path(path).read_text())))
