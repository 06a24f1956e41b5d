"""Finished segments → Sentry ``transaction`` events in envelopes.

The scopes merged into a transaction are those current when its root started and
when it ended (global → isolation → current), so tags set during a request count.
"""

from collections.abc import Iterable
from typing import Any

from scopetel_exporter_sentry.envelope import Envelope

from scopetel._client import LOGGER, Client, json_item, now_iso
from scopetel._context.active_scopes import get_global_scope
from scopetel._context.scope import Event, Scope
from scopetel._events.assembly import apply_scopes, finalize, run_event_processors
from scopetel._events.relay_shape import INTERNAL_ERROR_REASON
from scopetel._internal_errors import guarded
from scopetel._pipeline import mapping as mapping
from scopetel._pipeline.query_layers import lower_layers
from scopetel._pipeline.records import CompactSpan
from scopetel._pipeline.redundant import parent_of, without_redundant
from scopetel._pipeline.segments import Segment
from scopetel._pipeline.span_entries import to_transaction_span
from scopetel._propagation.dsc import DynamicSamplingContext, dsc_for_root


class TransactionEmitter:
    """The sink of the segment processor: builds and sends one transaction per segment."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @guarded(None, on_error=lambda self, segment: _count_lost(self._client, segment))
    def emit(self, segment: Segment) -> None:
        client = self._client
        if not client.sending:
            return
        scopes = _unique(
            [
                get_global_scope(),
                segment.at_start.isolation_scope,
                segment.at_end.isolation_scope,
                segment.at_start.current_scope,
                segment.at_end.current_scope,
            ]
        )
        event = transaction_event(segment)
        apply_scopes(event, scopes, max_breadcrumbs=0)
        _apply_scope_name(event, segment, scopes)
        spans = len(segment.spans) + 1
        hint: dict[str, Any] = {"attachments": client.attachments_of(scopes, transaction=True)}
        final, reason = self._user_hooks(event, scopes, client, hint)
        if final is None:
            client.record_lost(reason, "transaction")
            client.record_lost(reason, "span", spans)
            return
        headers: dict[str, Any] = {
            "event_id": final["event_id"],
            "sent_at": now_iso(),
            "trace": segment_dsc(segment, final, client).to_envelope_header(),
        }
        items = [json_item("transaction", final), *client.attachment_items(hint)]
        client.send(Envelope(headers, items))

    def _user_hooks(
        self, event: Event, scopes: list[Scope], client: Client, hint: dict[str, Any]
    ) -> tuple[Event | None, str]:
        """The event after scope processors and ``before_send_transaction``, or None and
        the client-report reason of the drop."""
        try:
            processed = run_event_processors(event, hint, scopes)
        except Exception:
            LOGGER.warning("scopetel: an event processor raised; transaction sent as is")
            processed = event
        if processed is None:
            return None, "event_processor"
        client.prepare(processed)
        hook = client.options.before_send_transaction
        if hook is None:
            return processed, ""
        try:
            result = hook(processed, hint)
        except Exception:
            LOGGER.warning("scopetel: before_send_transaction raised; sent as is", exc_info=True)
            return processed, ""
        if result is None:
            return None, "before_send"
        if result is not processed and isinstance(result, dict):
            finalize(result, client.options)  # a new event from the hook: give it the fields
            return result, ""
        return processed, ""


def transaction_event(segment: Segment) -> Event:
    """The transaction event of a segment, before scopes and common fields."""
    root = segment.root
    name, source = mapping.transaction_name_and_source(root)
    spans, moved = without_redundant(segment.spans)
    lower = lower_layers(spans)  # a statement recorded twice (SQLAlchemy over a driver)
    if lower:
        spans = [span for span in spans if span.span_id not in lower]
        moved = {**moved, **lower}
    contexts: dict[str, Any] = {"trace": mapping.to_trace_context(root)}
    tags = mapping.tags(root)
    code = mapping.http_status(root)
    if code is not None:  # as sentry_sdk's set_http_status on a transaction
        contexts["response"] = {"status_code": code}
        tags.setdefault("http.status_code", str(code))
    event: Event = {
        "type": "transaction",
        "transaction": name,
        "transaction_info": {"source": source},
        "start_timestamp": root.start_ns / 1e9,
        "timestamp": root.end_ns / 1e9,
        "contexts": contexts,
        "spans": _transaction_spans(spans, moved, root.trace_id),
        "measurements": mapping.measurements(root),
        "tags": tags,
    }
    profile = mapping.profile_context(root)
    if profile is not None:  # profiling: the flame graph under the transaction
        event["contexts"]["profile"] = profile
    return event


def _transaction_spans(
    spans: list[CompactSpan], moved: dict[int, int], trace_id: int
) -> list[Event]:
    """The ``spans`` entries; a span whose parent was left out hangs from the span kept."""
    hex_id = f"{trace_id:032x}"  # the root's: its descendants share it
    entries = [
        to_transaction_span(span, hex_id if span.trace_id == trace_id else None) for span in spans
    ]
    if moved:
        for span, entry in zip(spans, entries, strict=True):
            if span.parent_span_id in moved:
                parent = parent_of(span, moved)
                entry["parent_span_id"] = None if parent is None else f"{parent:016x}"
    return entries


def segment_dsc(segment: Segment, event: Event, client: Client) -> DynamicSamplingContext:
    """The DSC sent in the envelope header: received with the trace, else ours; frozen."""
    root = segment.root
    incoming = segment.at_start.dsc
    if isinstance(incoming, DynamicSamplingContext) and incoming.trace_id == (
        f"{root.trace_id:032x}"
    ):
        return client.frozen_dscs.freeze(root.trace_id, lambda: incoming)
    return client.frozen_dscs.freeze(
        root.trace_id,
        lambda: dsc_for_root(
            root.trace_id,
            options=client.options,
            attributes=root.attributes,
            name=event.get("transaction"),
            source=(event.get("transaction_info") or {}).get("source"),
            sampled=True,
        ),
    )


def _apply_scope_name(event: Event, segment: Segment, scopes: Iterable[Scope]) -> None:
    """A ``set_transaction_name`` made in this trace while the root was open wins.

    It matters when the call ran under a span whose root scopetel cannot reach (a
    child of another instrumentation's server span); names set elsewhere or earlier
    in the same scope never rename this transaction.
    """
    root = segment.root
    for scope in scopes:
        data = scope.data
        name = data.name_in_trace(root.trace_id, root.start_ns, root.end_ns)
        if name is not None:
            event["transaction"] = name
            if data.transaction_source:  # None: the source stays (sentry_sdk's rename)
                event["transaction_info"] = {"source": data.transaction_source}


def _count_lost(client: Client, segment: Segment) -> None:
    """A transaction that an internal error stopped is counted, never lost silently."""
    client.record_lost(INTERNAL_ERROR_REASON, "transaction")
    client.record_lost(INTERNAL_ERROR_REASON, "span", len(segment.spans) + 1)


def _unique(scopes: list[object]) -> list[Scope]:
    seen: set[int] = set()
    result: list[Scope] = []
    for scope in scopes:
        if isinstance(scope, Scope) and id(scope) not in seen:
            seen.add(id(scope))
            result.append(scope)
    return result
