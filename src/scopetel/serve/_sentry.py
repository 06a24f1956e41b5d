"""Sentry envelopes to ``Received`` records, one per item.

Framing is checked by the exporter's own ``parse_envelope``; on top of it, items
whose type or content type says JSON must hold strict JSON (no ``NaN``), as Relay
requires. Other payloads are kept as text, or as base64 when they are not UTF-8.
"""

import base64
import json
import re
import time
from typing import Any, Final

from scopetel_exporter_sentry.envelope import Item, parse_envelope

from scopetel.serve._errors import RequestError
from scopetel.serve._records import Received

__all__ = ["ENVELOPE_PATH", "records_from_envelope"]

ENVELOPE_PATH: Final = re.compile(r"/api/(?P<project>[A-Za-z0-9_-]+)/envelope/?")
"""Sentry's ingestion path; ``fullmatch`` it against the path without the query."""

_JSON_ITEM_TYPES: Final = frozenset(
    {
        "event",
        "transaction",
        "span",
        "log",
        "client_report",
        "session",
        "sessions",
        "check_in",
        "feedback",
        "user_report",
        "profile",
        "profile_chunk",
        "replay_event",
        "trace_metric",
    }
)


def records_from_envelope(body: bytes, project: str) -> tuple[list[Received], str | None]:
    """The envelope's items as records, and its ``event_id`` (for the response)."""
    if not body.strip():
        raise RequestError(400, "malformed envelope: the body is empty")
    try:
        envelope = parse_envelope(body)
    except ValueError as error:
        raise RequestError(400, f"malformed envelope: {error}") from None
    now = time.time()
    records = [
        Received(
            kind=item.type,
            source="sentry",
            payload=_payload(item, index),
            meta={"project": project, "headers": item.headers, "envelope": envelope.headers},
            received_at=now,
        )
        for index, item in enumerate(envelope.items)
    ]
    event_id = envelope.headers.get("event_id")
    return records, event_id if isinstance(event_id, str) else None


def _payload(item: Item, index: int) -> Any:
    content_type = str(item.headers.get("content_type") or "")
    if item.type in _JSON_ITEM_TYPES or content_type.endswith("json"):
        try:
            return json.loads(item.payload, parse_constant=_reject_constant)
        except ValueError as error:
            raise RequestError(
                400, f"malformed envelope: item {index} ({item.type}) is not valid JSON: {error}"
            ) from None
    try:
        return {"encoding": "utf-8", "data": item.payload.decode()}
    except UnicodeDecodeError:
        return {"encoding": "base64", "data": base64.b64encode(item.payload).decode()}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
