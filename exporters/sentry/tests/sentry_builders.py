"""Envelopes for the Sentry exporter tests (imported by the test modules)."""

import uuid

from scopetel_exporter_sentry import Envelope, Item


def event(message: str = "boom") -> Envelope:
    event_id = uuid.uuid4().hex
    payload = {"event_id": event_id, "message": message, "level": "error", "platform": "python"}
    return Envelope({"event_id": event_id}, [Item.from_json("event", payload)])


def transaction(name: str = "tx") -> Envelope:
    event_id = uuid.uuid4().hex
    payload = {
        "event_id": event_id,
        "type": "transaction",
        "transaction": name,
        "start_timestamp": 1.0,
        "timestamp": 2.0,
        "contexts": {"trace": {"trace_id": uuid.uuid4().hex, "span_id": "0123456789abcdef"}},
        "spans": [],
    }
    return Envelope({"event_id": event_id}, [Item.from_json("transaction", payload)])


def batch(type: str, count: int, size: int = 10) -> Envelope:
    """A ``span`` or ``log`` batch item with ``count`` entries (``size`` bytes of filler)."""
    content_type = {
        "span": "application/vnd.sentry.items.span.v2+json",
        "log": "application/vnd.sentry.items.log+json",
    }[type]
    entries: list[dict[str, object]] = [{"n": n, "filler": "x" * size} for n in range(count)]
    if type == "log":  # what a log entry holds, for the strict receiver
        entries = [
            {
                "timestamp": 1.0 + n,
                "trace_id": "0" * 31 + "1",
                "level": "info",
                "body": "x" * size,
                "attributes": {},
            }
            for n in range(count)
        ]
    payload = {"version": 2, "items": entries}
    return Envelope(
        {}, [Item.from_json(type, payload, content_type=content_type, item_count=count)]
    )
