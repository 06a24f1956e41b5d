"""The edits allowances make to a summary (see ``compare``): each takes a deliberate
difference out, the same way on both sides."""

import re
from collections.abc import Callable
from typing import Any

from scopetel._semconv.personal_data import FILTERED, is_private
from scopetel._serialize import TRUNCATION_KEY
from tests.compat.summary import Summary, ordered


def flat_spans(summary: Summary) -> None:
    """Span trees become sorted lists: the spans still match, their parents need not."""

    def flatten(nodes: list[Summary]) -> list[Summary]:
        return [flat for n in nodes for flat in [{**n, "children": []}, *flatten(n["children"])]]

    for transaction in summary["transactions"]:
        transaction["spans"] = ordered(flatten(transaction["spans"]))


def rewrite(old: str, new: str) -> Callable[[Summary], None]:
    """An edit replacing ``old`` by ``new`` in every string of a summary."""

    def edit(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(old, new)
        if isinstance(value, dict):
            return {edit(k): edit(v) for k, v in value.items()}
        return [edit(v) for v in value] if isinstance(value, list) else value

    def apply(summary: Summary) -> None:
        summary.update(edit(summary))

    return apply


def without(path: tuple[str, ...]) -> Callable[[Summary], None]:
    """An edit removing ``summary[path[0]][*][path[1]]...`` (lists are walked through;
    a ``"*"`` step walks through every value of a dict)."""

    def drop(value: Any, rest: tuple[str, ...]) -> None:
        if isinstance(value, list):
            for item in value:
                drop(item, rest)
        elif isinstance(value, dict) and rest:
            if rest[0] == "*":
                for inner in value.values():
                    drop(inner, rest[1:])
            elif len(rest) == 1:
                value.pop(rest[0], None)
            else:
                drop(value.get(rest[0]), rest[1:])

    def apply(summary: Summary) -> None:
        drop(summary, path)

    return apply


def no_thread_data(summary: Summary) -> None:
    """``thread.id``/``thread.name`` in span data, at any depth of the span trees."""

    def strip(nodes: list[Summary]) -> None:
        for node in nodes:
            data = node.get("data")
            if isinstance(data, dict):
                data.pop("thread.id", None)
                data.pop("thread.name", None)
            strip(node.get("children") or [])

    for streamed in summary.get("spans", []):  # trace_lifecycle="stream"
        for key in ("thread.id", "thread.name"):
            (streamed.get("attributes") or {}).pop(key, None)
    for transaction in summary["transactions"]:
        strip(transaction["spans"])
        trace = transaction.get("contexts", {}).get("trace", {})
        data = trace.get("data") if isinstance(trace, dict) else None
        if isinstance(data, dict):
            data.pop("thread.id", None)
            data.pop("thread.name", None)


_RESOURCE_ATTRIBUTES = re.compile(r"^(service\.|telemetry\.sdk\.)")


def no_resource_attributes(summary: Summary) -> None:
    """Streamed spans: the OpenTelemetry resource's attributes are taken out."""
    for streamed in summary.get("spans", []):
        attributes = streamed.get("attributes") or {}
        for key in [key for key in attributes if _RESOURCE_ATTRIBUTES.match(key)]:
            del attributes[key]


def in_app_false_as_unknown(summary: Summary) -> None:
    """Frames' ``in_app: false`` read as unknown (``null``), on both sides."""

    def edit(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("in_app") is False:
                value["in_app"] = None
            for inner in value.values():
                edit(inner)
        elif isinstance(value, list):
            for inner in value:
                edit(inner)

    edit(summary["events"])


def module_frame_variables(summary: Summary) -> None:
    """Module-level frames: their variables are compared no further (see the reason)."""
    for event in summary.get("events", []):
        stacks = [exception.get("frames", []) for exception in event.get("exceptions", [])]
        for frames in stacks + list(event.get("threads", [])):
            for frame in frames:
                if "__name__" in (frame.get("vars") or ()) or frame.get("function") == "<module>":
                    frame.pop("vars", None)
                    frame.pop("var_values", None)


def frame_values(change: Callable[[Any], Any]) -> Callable[[Summary], None]:
    """An edit replacing every frame's ``var_values`` in events by ``change(var_values)``."""

    def edit(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("var_values"), dict):
                value["var_values"] = change(value["var_values"])
            for inner in value.values():
                edit(inner)
        elif isinstance(value, list):
            for inner in value:
                edit(inner)

    return lambda summary: edit(summary["events"])


def filtered(values: Any) -> Any:
    """Values under a secret or personal name read as filtered."""
    if isinstance(values, dict):
        return {
            name: FILTERED if is_private(name, False) else filtered(value)
            for name, value in values.items()
        }
    return [filtered(value) for value in values] if isinstance(values, list) else values


_CUT_ITEMS = re.compile(r"^<(\d+ )?more items>$")


def uncut(value: Any) -> Any:
    """Without the entries that say a container was cut."""
    if isinstance(value, dict):
        return {k: uncut(v) for k, v in value.items() if k != TRUNCATION_KEY}
    if isinstance(value, list):
        return [uncut(v) for v in value if not (isinstance(v, str) and _CUT_ITEMS.match(v))]
    return value


def no_meta_key(summary: Summary) -> None:
    """Events' and transactions' top-level ``_meta`` key is compared no further."""
    for kind in ("events", "transactions"):
        for event in summary.get(kind, []):
            if isinstance(event.get("keys"), list):
                event["keys"] = [key for key in event["keys"] if key != "_meta"]


def no_stale_transaction_name(summary: Summary) -> None:
    """Events: the transaction name and source are compared no further."""
    for event in summary.get("events", []):
        event.pop("transaction", None)
        event.pop("transaction_source", None)
        if isinstance(event.get("keys"), list):
            event["keys"] = [key for key in event["keys"] if key != "transaction"]


def task_error_as_unhandled(summary: Summary) -> None:
    """A task's exception nobody retrieved: how it is reported is compared no further."""
    for event in summary.get("events", []):
        for key in ("logentry", "logger"):
            event.pop(key, None)
        (event.get("contexts") or {}).pop("asyncio", None)
        if isinstance(event.get("keys"), list):
            event["keys"] = [key for key in event["keys"] if key not in ("logentry", "logger")]
        for exception in event.get("exceptions", []):
            exception.pop("mechanism", None)


def no_application_session(summary: Summary) -> None:
    """The ``session`` items (application mode) are taken out."""
    summary.pop("sessions", None)
    for key in ("items", "envelope_headers"):
        part = summary.get(key)
        if isinstance(part, dict):
            part.pop("session", None)


def no_transactions(summary: Summary) -> None:
    summary["transactions"] = []
    summary.get("items", {}).pop("transaction", None)
    summary.get("envelope_headers", {}).pop("transaction", None)


def no_event_trace_header(summary: Summary) -> None:
    """Error envelopes' ``trace`` header (the dynamic sampling context) is taken out."""
    for headers in summary.get("envelope_headers", {}).get("event", []):
        headers.pop("trace", None)
        if isinstance(headers.get("keys"), list):
            headers["keys"] = [key for key in headers["keys"] if key != "trace"]


def request_data(change: Callable[[Any], Any]) -> Callable[[Summary], None]:
    """An edit replacing the ``request.data`` of events and transactions by ``change(data)``."""

    def apply(summary: Summary) -> None:
        for kind in ("events", "transactions"):
            for event in summary.get(kind, []):
                request = event.get("request")
                if isinstance(request, dict) and request.get("data") is not None:
                    request["data"] = change(request["data"])

    return apply


def without_frame_variable(name: str) -> Callable[[Summary], None]:
    """An edit removing the variable ``name`` from every frame of events."""

    def edit(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("vars"), list):
                value["vars"] = [var for var in value["vars"] if var != name]
            if isinstance(value.get("var_values"), dict):
                value["var_values"].pop(name, None)
            for inner in value.values():
                edit(inner)
        elif isinstance(value, list):
            for inner in value:
                edit(inner)

    return lambda summary: edit(summary["events"])


def streamed_spans_as_sentry_sdk(summary: Summary) -> None:
    """Streamed spans: ``sentry.op`` inferred from ``db.system`` and segments'
    ``sentry.sample_rate`` are taken out."""
    for streamed in summary.get("spans", []):
        attributes = streamed.get("attributes") or {}
        if "db.system" in attributes and attributes.get("sentry.op") == "db":
            del attributes["sentry.op"]
        attributes.pop("sentry.sample_rate", None)
