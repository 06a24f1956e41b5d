"""Batches of logs or metrics: one envelope item per batch, sent from a daemon thread.

Entries are appended in the application's thread (a lock held for an ``append``);
a batch leaves when ``flush_at`` entries wait or ``interval`` seconds passed, on
``flush()`` and at exit. Past ``drop_at`` waiting entries (or ``max_bytes`` of
estimated payload), new ones are dropped and counted in client reports as
``queue_overflow``: memory stays bounded whatever the application logs. Entries are
encoded into wire JSON in the sending thread, never in the application's.

After ``os.fork()`` the child starts empty, with a flusher thread of its own.
"""

import contextlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

from scopetel_exporter_sentry.envelope import Envelope, Item

from scopetel._client import now_iso
from scopetel._events.relay_shape import INTERNAL_ERROR_REASON
from scopetel._fork_safety import reset_in_child
from scopetel._internal_errors import report_internal_error, suppressed
from scopetel._serialize import to_json_safe
from scopetel._signals.wire import dumps

_E = TypeVar("_E")

QUEUE_OVERFLOW: Final = "queue_overflow"


@dataclass(frozen=True)
class Kind:
    """What a batcher sends: the item type, its content type, its client report
    categories (entries and bytes) and its limits (sentry_sdk's)."""

    item_type: str
    content_type: str
    category: str
    byte_category: str
    flush_at: int
    drop_at: int
    interval: float = 5.0
    max_bytes: int = 32 * 1024 * 1024


Encode = Callable[[_E], str]  # one entry as JSON text
Send = Callable[[Envelope], None]
RecordLost = Callable[[str, str, int], None]


class Batcher(Generic[_E]):
    """Buffers entries of one :class:`Kind` and sends them as batch items."""

    def __init__(self, kind: Kind, encode: Encode[_E], send: Send, record_lost: RecordLost) -> None:
        self.kind = kind
        self._encode = encode
        self._send = send
        self._record_lost = record_lost
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._buffer: list[_E] = []
        self._bytes = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, entry: _E, size: int = 0) -> None:
        """Queue ``entry`` (about ``size`` bytes on the wire); drop it when full."""
        kind = self.kind
        with self._lock:
            buffer = self._buffer
            full = len(buffer) >= kind.drop_at or self._bytes + size > kind.max_bytes
            if not full:
                buffer.append(entry)
                self._bytes += size
                if len(buffer) == kind.flush_at:
                    self._wake.set()
        if self._thread is None:
            self._start()
        if full:
            self.record_lost(QUEUE_OVERFLOW, entry)

    def record_lost(self, reason: str, entry: _E) -> None:
        """Count one entry that will not be sent (and its bytes, as sentry_sdk does)."""
        kind = self.kind
        self._record_lost(reason, kind.category, 1)
        try:
            size = len(self._item([entry]).payload)
        except Exception:
            size = 0
        if size:
            self._record_lost(reason, kind.byte_category, size)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed:
                return
            thread = threading.Thread(
                target=self._run, name=f"scopetel-{self.kind.item_type}", daemon=True
            )
            self._thread = thread
        with contextlib.suppress(RuntimeError):  # shutting down: the final flush sends them
            thread.start()

    def _run(self) -> None:
        wake = self._wake
        while not self._closed:
            wake.wait(self.kind.interval)
            wake.clear()
            self.flush()

    def flush(self) -> None:
        """Send what waits now (from the calling thread); never raises."""
        with self._lock:
            entries, self._buffer = self._buffer, []
            self._bytes = 0
        if not entries:
            return
        try:
            with suppressed():  # nothing sent from here comes back as telemetry
                for start in range(0, len(entries), self.kind.flush_at):
                    batch = entries[start : start + self.kind.flush_at]
                    self._send(Envelope({"sent_at": now_iso()}, [self._item(batch)]))
        except Exception:
            report_internal_error(f"sending {self.kind.item_type} items")

    def close(self) -> None:
        """Send what waits and stop the thread."""
        self._closed = True
        self._wake.set()
        self.flush()

    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def _item(self, entries: Sequence[_E]) -> Item:
        kind = self.kind
        texts: list[str] = []
        for entry in entries:
            try:
                texts.append(self._encode(entry))
            except Exception:  # a hook's odd value: this entry only is lost
                self._record_lost(INTERNAL_ERROR_REASON, kind.category, 1)
                report_internal_error(f"encoding a {kind.item_type} entry")
        body = '{"version":2,"items":[' + ",".join(texts) + "]}"
        try:
            payload = body.encode()
        except UnicodeEncodeError:  # a lone surrogate from a hook: escaped
            safe = to_json_safe(json.loads(body), max_depth=20, max_breadth=100_000, max_string=MAX)
            payload = dumps(safe).encode()
        headers = {
            "item_count": len(texts),
            "type": kind.item_type,
            "content_type": kind.content_type,
            "length": len(payload),
        }
        return Item(headers, payload)


MAX: Final = 1_000_000
