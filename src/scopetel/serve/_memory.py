"""A bounded memory of spans already shown, so later arrivals can say what they belong to."""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

__all__ = ["SeenSpan", "SpanMemory"]

DEFAULT_CAPACITY: Final = 20_000


@dataclass(frozen=True, slots=True)
class SeenSpan:
    name: str
    end: float | None


class SpanMemory:
    """The last ``capacity`` span ids shown (least recently added forgotten first)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._spans: OrderedDict[str, SeenSpan] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, span_id: str, name: str, end: float | None) -> None:
        if not span_id:
            return
        with self._lock:
            self._spans[span_id] = SeenSpan(name, end)
            self._spans.move_to_end(span_id)
            while len(self._spans) > self._capacity:
                self._spans.popitem(last=False)

    def get(self, span_id: str | None) -> SeenSpan | None:
        if not span_id:
            return None
        with self._lock:
            return self._spans.get(span_id)
