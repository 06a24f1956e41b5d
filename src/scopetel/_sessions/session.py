"""One release-health session: its status, error count and timing, as Sentry reads it.

A session starts ``ok``; an error event captured under its scope counts an error, an
unhandled one makes it ``crashed``; ending it makes an ``ok`` session ``exited``.
"""

import time
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from scopetel._random_ids import new_uuid4

STATUSES: Final = frozenset({"ok", "exited", "crashed", "abnormal"})


def iso(seconds: float) -> str:
    """UTC ISO 8601 with microseconds, as sentry_sdk writes timestamps."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Session:
    """A session of ``mode`` ``"application"`` (sent alone) or ``"request"`` (aggregated)."""

    __slots__ = (
        "_sid",
        "did",
        "discarded",
        "duration",
        "environment",
        "errors",
        "mode",
        "release",
        "started",
        "started_monotonic",
        "status",
        "timestamp",
        "user_agent",
    )

    def __init__(self, release: str, environment: str | None, mode: str = "application") -> None:
        self.release = release
        self.environment = environment
        self.mode = mode
        self.started = time.time()
        self.started_monotonic = time.monotonic()
        self.timestamp = self.started
        self.status = "ok"
        self.errors = 0
        self.did: str | None = None
        self.user_agent: str | None = None
        self.duration: float | None = None
        self.discarded = False  # an application session given up for request mode
        self._sid: uuid.UUID | None = None  # made when sent: most request sessions never are

    @property
    def sid(self) -> str:
        if self._sid is None:
            self._sid = new_uuid4()
        return str(self._sid)

    def note_user(self, user: object) -> None:
        if isinstance(user, dict):
            did = user.get("id") or user.get("email") or user.get("username")
            if did is not None:
                self.did = str(did)

    def note_error(self, *, crashed: bool) -> None:
        self.errors += 1
        if crashed:
            self.status = "crashed"
        self.timestamp = time.time()

    def close(self, status: str | None = None) -> None:
        if status in STATUSES:
            self.status = status
        elif self.status == "ok":
            self.status = "exited"
        self.timestamp = time.time()
        self.duration = time.monotonic() - self.started_monotonic

    @property
    def attrs(self) -> dict[str, str]:
        attrs = {"release": self.release}
        if self.environment is not None:
            attrs["environment"] = self.environment
        return attrs

    def to_json(self) -> dict[str, Any]:
        """The ``session`` item payload (one update: the first and the last)."""
        payload: dict[str, Any] = {
            "sid": self.sid,
            "init": True,
            "seq": 0,
            "started": iso(self.started),
            "timestamp": iso(self.timestamp),
            "status": self.status,
            "errors": self.errors,
        }
        if self.did is not None:
            payload["did"] = self.did
        if self.duration is not None:
            payload["duration"] = self.duration
        attrs: dict[str, str] = self.attrs
        if self.user_agent is not None:
            attrs["user_agent"] = self.user_agent
        payload["attrs"] = attrs
        return payload
