"""Comparing two summaries, with the deliberate differences (allowances) taken out.

An allowance edits both summaries of a script the same way before they are compared,
so a difference scopetel makes on purpose does not fail the corpus, and every such
difference is written down here with its reason (the README's table of what differs on
purpose must say the same).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scopetel._semconv.personal_data import FILTERED, is_private
from scopetel._serialize import TRUNCATION_KEY
from tests.compat.summary import Summary, canonical, ordered


@dataclass(frozen=True)
class Allowance:
    """A documented, deliberate difference: ``apply`` edits a summary in place."""

    scripts: frozenset[str]  # empty: every script
    reason: str
    apply: Callable[[Summary], None]


def _flat_spans(summary: Summary) -> None:
    """Span trees become sorted lists: the spans still match, their parents need not."""

    def flatten(nodes: list[Summary]) -> list[Summary]:
        return [flat for n in nodes for flat in [{**n, "children": []}, *flatten(n["children"])]]

    for transaction in summary["transactions"]:
        transaction["spans"] = ordered(flatten(transaction["spans"]))


def _rewrite(old: str, new: str) -> Callable[[Summary], None]:
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


def _without(path: tuple[str, ...]) -> Callable[[Summary], None]:
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


def _no_thread_data(summary: Summary) -> None:
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


def _no_resource_attributes(summary: Summary) -> None:
    """Streamed spans: the OpenTelemetry resource's attributes are taken out."""
    for streamed in summary.get("spans", []):
        attributes = streamed.get("attributes") or {}
        for key in [key for key in attributes if _RESOURCE_ATTRIBUTES.match(key)]:
            del attributes[key]


def _in_app_false_as_unknown(summary: Summary) -> None:
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


def _module_frame_variables(summary: Summary) -> None:
    """Module-level frames: their variables are compared no further (see the reason)."""
    for event in summary.get("events", []):
        stacks = [exception.get("frames", []) for exception in event.get("exceptions", [])]
        for frames in stacks + list(event.get("threads", [])):
            for frame in frames:
                if "__name__" in (frame.get("vars") or ()) or frame.get("function") == "<module>":
                    frame.pop("vars", None)
                    frame.pop("var_values", None)


def _frame_values(change: Callable[[Any], Any]) -> Callable[[Summary], None]:
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


def _filtered(values: Any) -> Any:
    """Values under a secret or personal name read as filtered."""
    if isinstance(values, dict):
        return {
            name: FILTERED if is_private(name, False) else _filtered(value)
            for name, value in values.items()
        }
    return [_filtered(value) for value in values] if isinstance(values, list) else values


_CUT_ITEMS = re.compile(r"^<(\d+ )?more items>$")


def _uncut(value: Any) -> Any:
    """Without the entries that say a container was cut."""
    if isinstance(value, dict):
        return {k: _uncut(v) for k, v in value.items() if k != TRUNCATION_KEY}
    if isinstance(value, list):
        return [_uncut(v) for v in value if not (isinstance(v, str) and _CUT_ITEMS.match(v))]
    return value


def _no_meta_key(summary: Summary) -> None:
    """Events' and transactions' top-level ``_meta`` key is compared no further."""
    for kind in ("events", "transactions"):
        for event in summary.get(kind, []):
            if isinstance(event.get("keys"), list):
                event["keys"] = [key for key in event["keys"] if key != "_meta"]


def _no_stale_transaction_name(summary: Summary) -> None:
    """Events: the transaction name and source are compared no further."""
    for event in summary.get("events", []):
        event.pop("transaction", None)
        event.pop("transaction_source", None)
        if isinstance(event.get("keys"), list):
            event["keys"] = [key for key in event["keys"] if key != "transaction"]


def _task_error_as_unhandled(summary: Summary) -> None:
    """A task's exception nobody retrieved: how it is reported is compared no further."""
    for event in summary.get("events", []):
        for key in ("logentry", "logger"):
            event.pop(key, None)
        (event.get("contexts") or {}).pop("asyncio", None)
        if isinstance(event.get("keys"), list):
            event["keys"] = [key for key in event["keys"] if key not in ("logentry", "logger")]
        for exception in event.get("exceptions", []):
            exception.pop("mechanism", None)


def _no_application_session(summary: Summary) -> None:
    """The ``session`` items (application mode) are taken out."""
    summary.pop("sessions", None)
    for key in ("items", "envelope_headers"):
        part = summary.get(key)
        if isinstance(part, dict):
            part.pop("session", None)


def _no_transactions(summary: Summary) -> None:
    summary["transactions"] = []
    summary.get("items", {}).pop("transaction", None)
    summary.get("envelope_headers", {}).pop("transaction", None)


def _no_event_trace_header(summary: Summary) -> None:
    """Error envelopes' ``trace`` header (the dynamic sampling context) is taken out."""
    for headers in summary.get("envelope_headers", {}).get("event", []):
        headers.pop("trace", None)
        if isinstance(headers.get("keys"), list):
            headers["keys"] = [key for key in headers["keys"] if key != "trace"]


ALLOWANCES: tuple[Allowance, ...] = (
    Allowance(
        frozenset(),
        "scopetel adds the OpenTelemetry resource (service.name, host, process, SDK) as "
        "contexts.otel on events and transactions, and as attributes of streamed spans, so "
        "Sentry shows which service sent them.",
        lambda summary: [
            *(_without((kind, "contexts", "otel"))(summary) for kind in ("events", "transactions")),
            _no_resource_attributes(summary),
        ],
    ),
    Allowance(
        frozenset(),
        "Module-level frames: sentry-sdk sends the first 10 module globals, mostly the "
        "interpreter's dunders (__builtins__, __loader__ ...); scopetel skips the dunders and "
        "sends the application's own names instead.",
        _module_frame_variables,
    ),
    Allowance(
        frozenset(),
        "Under scopetel-sentry-sdk the module `sentry_sdk` is the module `scopetel` (one "
        "object, two names), so a frame's local `sentry_sdk` shows as <module 'scopetel'>.",
        _rewrite("<module 'scopetel'>", "<module 'sentry_sdk'>"),
    ),
    Allowance(
        frozenset(
            {
                "imports_utils_consts_types",
                "integrations_httpx",
                "integrations_requests",
                "integrations_stdlib_http",
                "integrations_threading",
                "tracing_outgoing_headers",
                "transport_http_subclass",
            }
        ),
        "An event captured after a transaction ended: sentry-sdk 2.75 leaves the ended "
        "transaction's name on the scope and names the event after it (even in a new "
        "isolation scope); scopetel names an event only by the transaction it happens in.",
        _no_stale_transaction_name,
    ),
    Allowance(
        frozenset({"integrations_asyncio"}),
        "A task's exception nobody retrieved: sentry-sdk 2.75 reports it through asyncio's "
        "log record (mechanism logging, handled, logger asyncio, the record's text); scopetel "
        "reports the exception itself from the loop's exception handler, unhandled "
        "(mechanism asyncio), with the task and coroutine in contexts.asyncio, on purpose: "
        "it was never handled, and it is reported even with the logging integration off.",
        lambda summary: [
            _task_error_as_unhandled(summary),
            _no_stale_transaction_name(summary),
        ],
    ),
    Allowance(
        frozenset({"init_no_default_integrations"}),
        "contexts.runtime (the interpreter's name and version): sentry-sdk 2.75 adds it from "
        "its stdlib integration, so a client without default integrations has none; scopetel "
        "always sends it (it costs nothing and Sentry's issue pages show it).",
        _without(("events", "contexts", "runtime")),
    ),
    Allowance(
        frozenset({"unhandled_thread_exception"}),
        "An exception that ends a thread: scopetel names the thread in contexts.thread "
        "(sentry-sdk 2.75 does not say which thread it was).",
        _without(("events", "contexts", "thread")),
    ),
    Allowance(
        frozenset({"asyncio_gather_trace"}),
        "asyncio.gather() of @trace coroutines: sentry-sdk 2.75 nests each coroutine's span "
        "under the previous one (the active span lives on a scope all tasks share); scopetel "
        "makes them siblings under the enclosing span, on purpose (DESIGN.md, problem 1).",
        _flat_spans,
    ),
    Allowance(
        frozenset(
            {
                "capture_exception_chained",
                "client_methods",
                "crons_capture_checkin",
                "init_release_environment",
                "tracing_continue_trace",
                "tracing_start_transaction",
                "unhandled_exception_excepthook",
            }
        ),
        "A script with a release gets one application-mode release-health session, sent at "
        "exit (issue 14: scopetel's application mode); sentry-sdk 2.75 starts none by itself. "
        "(sessions_manual, which manages its own, is compared whole.)",
        _no_application_session,
    ),
    Allowance(
        frozenset({"tracing_span_without_transaction"}),
        "start_span() with no active span: sentry-sdk 2.75 records a span that is never "
        "sent; scopetel sends it as a transaction, on purpose (README, the orphan-span rule: "
        "a span started through the API is an entry point, as in Sentry's span-first SDKs). "
        "An error captured in it is then named after that transaction and its envelope "
        "carries the trace's dynamic sampling context, as any error in a transaction does "
        "(sentry-sdk 2.75 sends neither: its span has no transaction).",
        lambda summary: [
            _no_transactions(summary),
            _no_stale_transaction_name(summary),
            _no_event_trace_header(summary),
        ],
    ),
    Allowance(
        frozenset(),
        "Span thread data: sentry-sdk 2.75 puts thread.id/thread.name on every span; "
        "scopetel only while the profiler samples, the one use Sentry has for them (README, "
        "Profiling): two attributes less per span, also for OTLP.",
        _no_thread_data,
    ),
    Allowance(
        frozenset(),
        "Standard-library and site-packages frames: sentry-sdk 2.75 leaves in_app out "
        "(null) unless in_app_exclude names them; scopetel says false, which Sentry reads "
        "the same way for grouping and which tells a reader the frame was judged.",
        _in_app_false_as_unknown,
    ),
    Allowance(
        frozenset({"transport_store_and_forward"}),
        "A Transport instance made without options: sentry-sdk 2.75 takes the trace "
        "header's public_key from the transport's own DSN, so it leaves it out; scopetel "
        "sends the public key of the DSN given to init(), as with any other transport.",
        _without(("envelope_headers", "*", "trace", "public_key")),
    ),
    Allowance(
        frozenset(),
        "Client reports: sentry-sdk 2.75 sends each in an envelope of its own; scopetel's "
        "transport adds them to the next envelope it sends (alone only when there is none), "
        "as Sentry's SDK guidelines allow. What was dropped, and why, is still compared.",
        _without(("envelope_headers", "client_report")),
    ),
    Allowance(
        frozenset({"capture_exception_group", "capture_exception_implicit"}),
        "Frame variables named as secrets or personal data (card, email ...): without "
        "send_default_pii scopetel filters them by name, as it does request data and "
        "breadcrumbs (README, Privacy); sentry-sdk 2.75 filters only the exact names of its "
        "denylist. Each filtered value is noted in the event's _meta, as sentry-sdk notes "
        "what its own scrubber removed.",
        lambda summary: [_frame_values(_filtered)(summary), _no_meta_key(summary)],
    ),
    Allowance(
        frozenset(),
        "Containers cut in frame variables (both SDKs keep their first 10 entries): "
        "scopetel says so in the value (a '...' entry, '<N more items>'), sentry-sdk 2.75 "
        "in the event's _meta.",
        _frame_values(_uncut),
    ),
    Allowance(
        frozenset({"init_max_breadcrumbs", "init_max_value_length"}),
        "Values cut to max_value_length and breadcrumbs beyond max_breadcrumbs: both SDKs "
        "cut the same values; sentry-sdk 2.75 also notes each cut in the event's _meta "
        "(original length), scopetel does not (Sentry shows the cut value either way).",
        _no_meta_key,
    ),
    Allowance(
        frozenset({"init_event_scrubber"}),
        "Contexts: sentry-sdk's EventScrubber never looks into contexts; scopetel's own "
        "scrubbing (which a custom EventScrubber adds to) covers them, by name at any depth.",
        _without(("events", "contexts", "payment")),
    ),
)
"""Issue 11 asks for sentry-sdk 2.75's data wherever scopetel is not right on purpose.
(Frames' qualified names may go in ``raw_function``, which is not compared.)"""


def allow(script: str, summary: Summary) -> Summary:
    """``summary`` with the deliberate differences that apply to ``script`` taken out."""
    copy: Summary = json.loads(canonical(summary))
    for allowance in ALLOWANCES:
        if not allowance.scripts or script in allowance.scripts:
            allowance.apply(copy)
    return copy


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every path where ``actual`` differs from ``expected``, with both values."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in sorted(set(expected) | set(actual), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                found.append(f"{where}: missing (expected {_short(expected[key])})")
            elif key not in expected:
                found.append(f"{where}: unexpected {_short(actual[key])}")
            else:
                found.extend(differences(expected[key], actual[key], where))
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for index, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{path}[{index}]")
        ]
    if expected != actual:
        return [f"{path}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _short(value: Any, limit: int = 160) -> str:
    text = canonical(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
