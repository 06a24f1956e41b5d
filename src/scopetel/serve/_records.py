"""What the receiver hands to its sinks: one ``Received`` per envelope item or OTLP span."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Received", "iso_timestamp"]


def iso_timestamp(seconds: float) -> str:
    """``seconds`` since the epoch as UTC ISO 8601 with microseconds and a ``Z``."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class Received:
    """One received item.

    ``kind`` is the envelope item type (``event``, ``transaction``, ``span`` …) or
    ``otlp_span``; ``payload`` is JSON-ready; ``meta`` holds where it came from (the
    project, item and envelope headers, or the OTLP resource and scope).
    """

    kind: str
    source: str
    payload: Any
    meta: dict[str, Any] = field(default_factory=dict)
    received_at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines record: kind, timestamp (when received), source, meta, payload."""
        record: dict[str, Any] = {
            "kind": self.kind,
            "timestamp": iso_timestamp(self.received_at),
            "source": self.source,
        }
        record.update(self.meta)
        record["payload"] = self.payload
        return record
