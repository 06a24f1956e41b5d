"""Request-mode sessions counted per (release, environment) and per started minute.

Sentry's ``sessions`` item: ``{"attrs": {...}, "aggregates": [{"started": minute,
"exited": n, "errored": n, "crashed": n, "abnormal": n}]}``. A process keeps one
:class:`Aggregates`; a forked child starts empty (the parent's counts are its own).
"""

import threading
from typing import Any

from scopetel._fork_safety import reset_in_child
from scopetel._sessions.session import Session, iso

Key = tuple[str, str | None]


def outcome(session: Session) -> str:
    """The aggregate bucket of an ended session."""
    if session.status in ("crashed", "abnormal"):
        return session.status
    return "errored" if session.errors else "exited"


class Aggregates:
    """Thread-safe counts of ended request sessions, taken as ``sessions`` payloads."""

    def __init__(self) -> None:
        self._reset()
        reset_in_child(self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[Key, dict[int, dict[str, int]]] = {}

    def add(self, session: Session) -> None:
        minute = int(session.started // 60) * 60
        key = (session.release, session.environment)
        bucket = outcome(session)
        with self._lock:
            states = self._counts.setdefault(key, {}).setdefault(minute, {})
            states[bucket] = states.get(bucket, 0) + 1

    def __bool__(self) -> bool:
        return bool(self._counts)

    def take(self) -> list[dict[str, Any]]:
        """One ``sessions`` payload per (release, environment); the counts start over."""
        with self._lock:
            counts, self._counts = self._counts, {}
        payloads = []
        for (release, environment), minutes in counts.items():
            attrs = {"release": release}
            if environment is not None:
                attrs["environment"] = environment
            aggregates = [{"started": iso(minute), **minutes[minute]} for minute in sorted(minutes)]
            payloads.append({"attrs": attrs, "aggregates": aggregates})
        return payloads
