"""The comparable summary of a run: what the compat suite holds scopetel to.

A corpus script run under the real sentry-sdk and under scopetel must produce the same
summary. The summary keeps what a Sentry user sees and relies on, and nothing that
differs between two runs of the *same* SDK or between two machines:

Compared
  * the script's exit code (an import error or a ``TypeError`` at ``init`` shows here);
  * envelopes the receiver refused as malformed (must be none);
  * item types and how many of each (client reports apart, see ``discarded``; logs,
    metrics and streamed spans by their entries, as their batching into items is timing);
  * per envelope kind (its first item's type): the envelope-header keys and the keys of
    the dynamic sampling context in the ``trace`` header, with its values except ids
    and ``sample_rand``;
  * per event and transaction: the top-level keys; level, logger, message/logentry,
    environment, release, dist, tags, user, fingerprint, extra keys, contexts (keys;
    values of contexts the script sets itself; ``op``/``status``/``origin`` of the
    ``trace`` context; ``name`` of ``runtime``), ``transaction`` with its source,
    ``sdk.integrations`` as a set, the request (method, URL, keys, header names, body),
    breadcrumbs (type, category, message, level, data keys, timestamp format),
    exceptions (type, value, module, mechanism type and handled) with the function,
    module, ``in_app`` and local variable names of their five innermost frames (local
    values too for the innermost frame, addresses masked), the same for ``threads``;
  * per transaction also its measurements and its span tree: (op, description, status,
    tags, data keys) with children nested under their parent, siblings sorted;
  * logs, metrics, check-ins, sessions, span-streaming spans and attachments by their
    main fields (below); client reports summed per (reason, category).

Excluded, and why
  * ids (event, trace, span, check-in), timestamps, durations, ``sent_at``,
    ``sample_rand``: random or clock-driven, different on every run;
  * SDK name, version and package list, ``modules`` versions, runtime/OS versions,
    ``server_name``, host names, thread ids: they describe the SDK or the machine, not
    the application (``modules``, ``contexts`` keys and the key lists still say *whether*
    they are sent);
  * file paths, line numbers and source context: the script runs from a temporary copy;
  * span data that depends on timing (``code.*``, see :data:`TIMED_DATA`);
  * the order of events and transactions: scripts with threads or tasks send them in
    any order, so each list is sorted; breadcrumbs and frames keep their order.

Deliberate differences are listed in :data:`tests.compat.compare.ALLOWANCES`, each with
its reason.
"""

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.compat.runner import Envelope, Run

FRAMES = 5
VOLATILE_DATA = {
    "thread.id",
    "thread.name",  # a pool's thread names depend on scheduling
    "subprocess.pid",
}
TIMED_DATA = "code."
"""sentry-sdk adds a span's source location (``code.*``) only to a request or query slower
than a threshold (100 ms): present or not depending on the machine's load, so left out."""
VOLATILE_ATTRIBUTES = re.compile(
    r"^(sentry\.sdk\.|server\.address|sentry\.trace\.parent_span_id|sentry\.segment\.id|"
    r"thread\.id|process\.|code\.|os\.|host\.|telemetry\.sdk)"
)
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
MASKS = (
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),  # the script's own servers
    (re.compile(r"(/[^\s'\"/]+)*/compat-[A-Za-z0-9_]+"), "<cwd>"),  # its temporary directory
    (re.compile(r"<module '([^']+)' from '[^']*'>"), r"<module '\1'>"),  # installation paths
    (
        re.compile(r"(/[^\s'\"]+)?/\.venv(-sentry-sdk)?/bin/python[0-9.]*"),
        "<python>",
    ),  # sys.executable
)
AUTO_CONTEXTS = {"trace", "runtime", "os", "device", "app", "otel", "cloud_resource", "culture"}
Summary = dict[str, Any]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def summarize(run: Run) -> Summary:
    run = replace(run, envelopes=[_mask(envelope) for envelope in run.envelopes])
    items = [(env, headers, payload) for env in run.envelopes for headers, payload in env.items]
    by_type: dict[str, list[Any]] = {}
    for _, headers, payload in items:
        by_type.setdefault(str(headers.get("type")), []).append((headers, payload))
    summary: Summary = {
        "exit_code": run.exit_code,
        "receiver_errors": run.receiver_errors,
        "items": dict(sorted(Counter(t for t in by_type for _ in by_type[t]).items())),
        "envelope_headers": _envelope_headers(run),
        "events": ordered((_event(p) for _, p in by_type.pop("event", [])), _identity),
        "transactions": ordered(
            (_transaction(p) for _, p in by_type.pop("transaction", [])), _identity
        ),
        "discarded": _discarded(p for _, p in by_type.pop("client_report", [])),
    }
    summary["items"].pop("client_report", None)
    batches = {"log": _log, "trace_metric": _metric, "span": _stream_span}
    for kind, project in batches.items():
        entries = [e for _, p in by_type.pop(kind, []) for e in p.get("items", []) if _own(e)]
        summary["items"].pop(kind, None)  # how entries are batched into items is timing
        if entries:
            summary[kind + "s"] = ordered(project(e) for e in entries)
    singles = {"check_in": _check_in, "session": _session, "sessions": _sessions}
    for kind, project in singles.items():
        if kind in by_type:
            summary[kind + "s"] = ordered(project(p) for _, p in by_type.pop(kind))
    if "attachment" in by_type:
        summary["attachments"] = ordered(_attachment(h, p) for h, p in by_type.pop("attachment"))
    return summary


def _mask(value: Any) -> Any:
    """``value`` with ports and temporary paths masked in every string."""
    if isinstance(value, Envelope):
        return Envelope(_mask(value.headers), [(_mask(h), _mask(p)) for h, p in value.items])
    if isinstance(value, tuple):
        return tuple(_mask(v) for v in value)
    if isinstance(value, str):
        for pattern, replacement in MASKS:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {_mask(k): _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def ordered(values: Any, key: Callable[[Any], str] = canonical) -> list[Any]:
    return sorted(values, key=key)


def _identity(summary: Summary) -> str:
    """What pairs an event or transaction with its counterpart of the other run: its
    message, exceptions or name first, so that a difference elsewhere keeps the pairs."""
    exceptions = [(e["type"], e["value"]) for e in summary.get("exceptions", [])]
    entry = (summary.get("logentry") or {}).get("message")
    first = [summary.get("message"), entry, exceptions, summary.get("transaction")]
    return canonical(first) + canonical(summary)


def _own(entry: dict[str, Any]) -> bool:
    """False for a span of the SDK's own request to the receiver (sentry-sdk 2.75 in span
    streaming mode sometimes traces its transport's envelope POSTs: timing-dependent)."""
    return not str(entry.get("name", "")).endswith("/api/42/envelope/")


def _envelope_headers(run: Run) -> dict[str, list[Any]]:
    kinds: dict[str, set[str]] = {}
    for envelope in run.envelopes:
        kind = str(envelope.items[0][0].get("type")) if envelope.items else "?"
        trace = envelope.headers.get("trace")
        shape = {"keys": sorted(envelope.headers)}
        if isinstance(trace, dict):
            volatile = {"trace_id", "sample_rand"}
            shape["trace"] = {k: v if k not in volatile else "<id>" for k, v in trace.items()}
        kinds.setdefault(kind, set()).add(canonical(shape))
    return {kind: [json.loads(s) for s in sorted(shapes)] for kind, shapes in sorted(kinds.items())}


def _common(payload: dict[str, Any]) -> Summary:
    """What events and transactions share."""
    sdk = payload.get("sdk") or {}
    info = payload.get("transaction_info") or {}
    out: Summary = {
        "keys": sorted(payload),
        "environment": payload.get("environment"),
        "release": payload.get("release"),
        "dist": payload.get("dist"),
        "transaction": payload.get("transaction"),
        "transaction_source": info.get("source"),
        "tags": payload.get("tags"),
        "user": payload.get("user"),
        "fingerprint": payload.get("fingerprint"),
        "extra_keys": sorted(payload.get("extra") or {}),
        "contexts": _contexts(payload.get("contexts") or {}),
        "integrations": sorted(sdk.get("integrations") or []),
    }
    if "request" in payload:
        out["request"] = _request(payload["request"])
    if "breadcrumbs" in payload:
        crumbs = payload["breadcrumbs"]
        values = crumbs.get("values", []) if isinstance(crumbs, dict) else crumbs
        out["breadcrumbs"] = [_breadcrumb(b) for b in values]
    return out


def _contexts(contexts: dict[str, Any]) -> Summary:
    out: Summary = {}
    for name, value in sorted(contexts.items()):
        if not isinstance(value, dict) or name not in AUTO_CONTEXTS:
            out[name] = value
        elif name == "trace":
            picked = {k: value.get(k) for k in ("op", "status", "origin") if k in value}
            out[name] = {"keys": sorted(value), **picked}
        elif name == "runtime":
            out[name] = {"keys": sorted(value), "name": value.get("name")}
        else:
            out[name] = {"keys": sorted(value)}
    return out


def _request(request: dict[str, Any]) -> Summary:
    headers = request.get("headers") or {}
    names = headers if isinstance(headers, dict) else [h[0] for h in headers]
    return {
        "keys": sorted(request),
        "method": request.get("method"),
        "url": request.get("url"),
        "query_string": request.get("query_string"),
        "header_names": sorted(str(n).lower() for n in names),
        "data": request.get("data"),
        "cookies": request.get("cookies"),
    }


def _breadcrumb(crumb: dict[str, Any]) -> Summary:
    stamp = crumb.get("timestamp")
    return {
        "type": crumb.get("type"),
        "category": crumb.get("category"),
        "message": crumb.get("message"),
        "level": crumb.get("level"),
        "data_keys": sorted(crumb.get("data") or {}),
        "timestamp": "iso8601" if isinstance(stamp, str) else type(stamp).__name__,
    }


def _frames(stacktrace: dict[str, Any] | None) -> list[Summary]:
    frames = (stacktrace or {}).get("frames") or []
    out = []
    for index, frame in enumerate(frames[-FRAMES:]):
        projected = {
            "function": frame.get("function"),
            "module": frame.get("module"),
            "in_app": frame.get("in_app"),
            "vars": sorted(frame["vars"]) if isinstance(frame.get("vars"), dict) else None,
        }
        innermost = index == len(frames[-FRAMES:]) - 1
        if innermost and isinstance(frame.get("vars"), dict):
            projected["var_values"] = {
                k: ADDRESS.sub(" at <address>", v) if isinstance(v, str) else v
                for k, v in frame["vars"].items()
                if not k.startswith("__")
            }
        out.append(projected)
    return out


def _exception(value: dict[str, Any]) -> Summary:
    mechanism = value.get("mechanism") or {}
    return {
        "type": value.get("type"),
        "value": value.get("value"),
        "module": value.get("module"),
        "mechanism": {"type": mechanism.get("type"), "handled": mechanism.get("handled")},
        "frames": _frames(value.get("stacktrace")),
    }


def _event(event: dict[str, Any]) -> Summary:
    out = _common(event)
    out["level"] = event.get("level")
    out["logger"] = event.get("logger")
    out["message"] = event.get("message")
    if "logentry" in event:
        entry = event["logentry"]
        out["logentry"] = {k: entry.get(k) for k in ("message", "params", "formatted")}
    exception = event.get("exception") or {}
    values = exception.get("values", []) if isinstance(exception, dict) else exception
    out["exceptions"] = [_exception(v) for v in values]
    threads = event.get("threads") or {}
    values = threads.get("values", []) if isinstance(threads, dict) else threads
    out["threads"] = [_frames(t.get("stacktrace")) for t in values]
    return out


def _transaction(event: dict[str, Any]) -> Summary:
    out = _common(event)
    out["measurements"] = event.get("measurements")
    root = ((event.get("contexts") or {}).get("trace") or {}).get("span_id")
    children: dict[Any, list[dict[str, Any]]] = {}
    for span in event.get("spans") or []:
        children.setdefault(span.get("parent_span_id"), []).append(span)
    out["spans"] = _tree(root, children)
    orphans = [s for parent, spans in children.items() for s in spans if parent != root]
    known = {s.get("span_id") for spans in children.values() for s in spans} | {root}
    out["orphan_spans"] = len([s for s in orphans if s.get("parent_span_id") not in known])
    return out


def _tree(parent: Any, children: dict[Any, list[dict[str, Any]]]) -> list[Summary]:
    nodes = [
        {
            "op": span.get("op"),
            "description": span.get("description"),
            "status": span.get("status"),
            "tags": _data(span.get("tags") or {}),
            "data": _data(span.get("data") or {}),
            "children": _tree(span.get("span_id"), children),
        }
        for span in children.get(parent, [])
    ]
    return ordered(nodes)


def _data(data: dict[str, Any]) -> Summary:
    return {
        k: "<volatile>" if k in VOLATILE_DATA else v
        for k, v in sorted(data.items())
        if not k.startswith(TIMED_DATA)
    }


def _attributes(attributes: dict[str, Any]) -> Summary:
    out: Summary = {}
    for key, value in sorted(attributes.items()):
        plain = value.get("value") if isinstance(value, dict) else value
        out[key] = "<volatile>" if VOLATILE_ATTRIBUTES.match(key) else plain
    return out


def _log(entry: dict[str, Any]) -> Summary:
    return {
        "level": entry.get("level"),
        "severity_number": entry.get("severity_number"),
        "body": entry.get("body"),
        "attributes": _attributes(entry.get("attributes") or {}),
    }


def _metric(entry: dict[str, Any]) -> Summary:
    keys = ("name", "type", "value", "unit")
    return {
        **{k: entry.get(k) for k in keys},
        "attributes": _attributes(entry.get("attributes") or {}),
    }


def _stream_span(entry: dict[str, Any]) -> Summary:
    return {
        "name": entry.get("name"),
        "status": entry.get("status"),
        "is_segment": entry.get("is_segment"),
        "has_parent": entry.get("parent_span_id") is not None,
        "attributes": _attributes(entry.get("attributes") or {}),
    }


def _check_in(check_in: dict[str, Any]) -> Summary:
    return {
        "monitor_slug": check_in.get("monitor_slug"),
        "status": check_in.get("status"),
        "has_duration": check_in.get("duration") is not None,
        "monitor_config": check_in.get("monitor_config"),
        "environment": check_in.get("environment"),
        "release": check_in.get("release"),
        "keys": sorted(check_in),
    }


def _session(session: dict[str, Any]) -> Summary:
    return {
        "status": session.get("status"),
        "errors": session.get("errors"),
        "init": session.get("init"),
        "attrs": session.get("attrs"),
        "has_did": "did" in session,
    }


def _sessions(sessions: dict[str, Any]) -> Summary:
    totals: Counter[str] = Counter()
    for aggregate in sessions.get("aggregates") or []:
        totals.update({k: v for k, v in aggregate.items() if isinstance(v, int)})
    return {"attrs": sessions.get("attrs"), "totals": dict(sorted(totals.items()))}


def _attachment(headers: dict[str, Any], payload: Any) -> Summary:
    size = len(payload) if isinstance(payload, bytes) else len(canonical(payload))
    keys = ("filename", "content_type", "attachment_type")
    return {**{k: headers.get(k) for k in keys}, "length": size}


def _discarded(reports: Any) -> list[list[Any]]:
    totals: Counter[tuple[str, str]] = Counter()
    for report in reports:
        for entry in report.get("discarded_events", []):
            totals[(entry["reason"], entry["category"])] += entry["quantity"]
    # Byte counts (log_byte, …) depend on timestamps' digits: only their presence counts.
    return [
        [reason, category, "<bytes>" if category.endswith("_byte") else n]
        for (reason, category), n in sorted(totals.items())
    ]
