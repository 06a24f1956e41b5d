"""Comparing two summaries, with the deliberate differences (allowances) taken out.

An allowance edits both summaries of a script the same way before they are compared,
so a difference scopetel makes on purpose does not fail the corpus, and every such
difference is written down here with its reason (the README's table of what differs on
purpose must say the same).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.compat import edits
from tests.compat.summary import Summary, canonical


@dataclass(frozen=True)
class Allowance:
    """A documented, deliberate difference: ``apply`` edits a summary in place."""

    scripts: frozenset[str]  # empty: every script
    reason: str
    apply: Callable[[Summary], None]


ALLOWANCES: tuple[Allowance, ...] = (
    Allowance(
        frozenset(),
        "scopetel adds the OpenTelemetry resource (service.name, host, process, SDK) as "
        "contexts.otel on events and transactions, and as attributes of streamed spans, so "
        "Sentry shows which service sent them.",
        lambda summary: [
            *(edits.without((k, "contexts", "otel"))(summary) for k in ("events", "transactions")),
            edits.no_resource_attributes(summary),
        ],
    ),
    Allowance(
        frozenset(),
        "Module-level frames: sentry-sdk sends the first 10 module globals, mostly the "
        "interpreter's dunders (__builtins__, __loader__ ...); scopetel skips the dunders and "
        "sends the application's own names instead.",
        edits.module_frame_variables,
    ),
    Allowance(
        frozenset(),
        "Under scopetel-sentry-sdk the module `sentry_sdk` is the module `scopetel` (one "
        "object, two names), so a frame's local `sentry_sdk` shows as <module 'scopetel'>.",
        edits.rewrite("<module 'scopetel'>", "<module 'sentry_sdk'>"),
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
        edits.no_stale_transaction_name,
    ),
    Allowance(
        frozenset({"integrations_asyncio"}),
        "A task's exception nobody retrieved: sentry-sdk 2.75 reports it through asyncio's "
        "log record (mechanism logging, handled, logger asyncio, the record's text); scopetel "
        "reports the exception itself from the loop's exception handler, unhandled "
        "(mechanism asyncio), with the task and coroutine in contexts.asyncio, on purpose: "
        "it was never handled, and it is reported even with the logging integration off.",
        lambda summary: [
            edits.task_error_as_unhandled(summary),
            edits.no_stale_transaction_name(summary),
        ],
    ),
    Allowance(
        frozenset({"init_no_default_integrations"}),
        "contexts.runtime (the interpreter's name and version): sentry-sdk 2.75 adds it from "
        "its stdlib integration, so a client without default integrations has none; scopetel "
        "always sends it (it costs nothing and Sentry's issue pages show it).",
        edits.without(("events", "contexts", "runtime")),
    ),
    Allowance(
        frozenset({"unhandled_thread_exception"}),
        "An exception that ends a thread: scopetel names the thread in contexts.thread "
        "(sentry-sdk 2.75 does not say which thread it was).",
        edits.without(("events", "contexts", "thread")),
    ),
    Allowance(
        frozenset({"asyncio_gather_trace"}),
        "asyncio.gather() of @trace coroutines: sentry-sdk 2.75 nests each coroutine's span "
        "under the previous one (the active span lives on a scope all tasks share); scopetel "
        "makes them siblings under the enclosing span, on purpose (DESIGN.md, problem 1).",
        edits.flat_spans,
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
        edits.no_application_session,
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
            edits.no_transactions(summary),
            edits.no_stale_transaction_name(summary),
            edits.no_event_trace_header(summary),
        ],
    ),
    Allowance(
        frozenset(),
        "Span thread data: sentry-sdk 2.75 puts thread.id/thread.name on every span; "
        "scopetel only while the profiler samples, the one use Sentry has for them (README, "
        "Profiling): two attributes less per span, also for OTLP.",
        edits.no_thread_data,
    ),
    Allowance(
        frozenset(),
        "Standard-library and site-packages frames: sentry-sdk 2.75 leaves in_app out "
        "(null) unless in_app_exclude names them; scopetel says false, which Sentry reads "
        "the same way for grouping and which tells a reader the frame was judged.",
        edits.in_app_false_as_unknown,
    ),
    Allowance(
        frozenset({"transport_store_and_forward"}),
        "A Transport instance made without options: sentry-sdk 2.75 takes the trace "
        "header's public_key from the transport's own DSN, so it leaves it out; scopetel "
        "sends the public key of the DSN given to init(), as with any other transport.",
        edits.without(("envelope_headers", "*", "trace", "public_key")),
    ),
    Allowance(
        frozenset(),
        "Client reports: sentry-sdk 2.75 sends each in an envelope of its own; scopetel's "
        "transport adds them to the next envelope it sends (alone only when there is none), "
        "as Sentry's SDK guidelines allow. What was dropped, and why, is still compared.",
        edits.without(("envelope_headers", "client_report")),
    ),
    Allowance(
        frozenset({"capture_exception_group", "capture_exception_implicit"}),
        "Frame variables named as secrets or personal data (card, email ...): without "
        "send_default_pii scopetel filters them by name, as it does request data and "
        "breadcrumbs (README, Privacy); sentry-sdk 2.75 filters only the exact names of its "
        "denylist. Each filtered value is noted in the event's _meta, as sentry-sdk notes "
        "what its own scrubber removed.",
        lambda summary: [edits.frame_values(edits.filtered)(summary), edits.no_meta_key(summary)],
    ),
    Allowance(
        frozenset(),
        "Containers cut in frame variables (both SDKs keep their first 10 entries): "
        "scopetel says so in the value (a '...' entry, '<N more items>'), sentry-sdk 2.75 "
        "in the event's _meta.",
        edits.frame_values(edits.uncut),
    ),
    Allowance(
        frozenset({"init_max_breadcrumbs", "init_max_value_length"}),
        "Values cut to max_value_length and breadcrumbs beyond max_breadcrumbs: both SDKs "
        "cut the same values; sentry-sdk 2.75 also notes each cut in the event's _meta "
        "(original length), scopetel does not (Sentry shows the cut value either way).",
        edits.no_meta_key,
    ),
    Allowance(
        frozenset({"integrations_django_endpoint"}),
        "Request bodies: form and JSON fields named as secrets or personal data (email ...) "
        "are [Filtered] without send_default_pii, as frame variables are (README, "
        "Privacy); sentry-sdk 2.75 filters only the exact names of its denylist.",
        lambda summary: [edits.request_data(edits.filtered)(summary), edits.no_meta_key(summary)],
    ),
    Allowance(
        frozenset({"integrations_django_endpoint", "integrations_django_error"}),
        "Django's own frame (BaseHandler._get_response) shows its loop variable "
        "middleware_method under scopetel: scopetel's Django middleware has a process_view "
        "(the URL pattern names the transaction once the view is known), sentry-sdk's has "
        "none. The receiver of got_request_exception that reports the error is scopetel's "
        "own, so its signal span carries its name.",
        lambda summary: [
            edits.without_frame_variable("middleware_method")(summary),
            edits.rewrite(
                "scopetel_instrumentation_django.instrumentor._on_request_exception",
                "sentry_sdk.integrations.django._got_request_exception",
            )(summary),
        ],
    ),
    Allowance(
        frozenset({"tracing_span_streaming"}),
        "Streamed spans: scopetel infers sentry.op from OpenTelemetry's conventions (db for "
        "a span with db.system), as for the spans of OpenTelemetry instrumentations, where "
        "sentry-sdk 2.75 leaves it out; segments carry sentry.sample_rate (the rate they "
        "were sampled at), which sentry-sdk's streamed segments leave to the DSC.",
        edits.streamed_spans_as_sentry_sdk,
    ),
    Allowance(
        frozenset({"init_event_scrubber"}),
        "Contexts: sentry-sdk's EventScrubber never looks into contexts; scopetel's own "
        "scrubbing (which a custom EventScrubber adds to) covers them, by name at any depth.",
        edits.without(("events", "contexts", "payment")),
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
