"""``sentry_sdk.envelope``: envelopes as sentry_sdk's transports and users handle them.

``Envelope`` (headers, ``items``, ``get_event()``, ``add_event()``, ``serialize()`` …),
``Item`` (``headers``, ``type``, ``payload``) and ``PayloadRef`` (``bytes``, ``json`` or
``path``) have sentry_sdk's API; the wire format is ``scopetel_exporter_sentry.envelope``'s
(:meth:`Envelope.from_wire` and :meth:`Envelope.to_wire` convert, :meth:`serialize` and
:meth:`deserialize` use it). The JSON of an item received from scopetel is parsed when
``payload.json`` is first read.
"""

import builtins
import json as _json
import mimetypes
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any, Self

from scopetel_exporter_sentry import envelope as wire

from scopetel._serialize import to_json_safe

__all__ = ["Envelope", "Item", "PayloadRef"]

_NOT_PARSED: Any = object()


class PayloadRef:
    """An item's payload: ``bytes``, ``json`` (a value to encode) or a file ``path``."""

    __slots__ = ("_json", "bytes", "path")

    def __init__(
        self,
        bytes: builtins.bytes | None = None,
        path: str | builtins.bytes | None = None,
        json: Any = None,
    ) -> None:
        self.bytes = bytes
        self.path = path
        self._json = json

    @property
    def json(self) -> Any:
        """The payload as JSON (parsed from the bytes of a JSON item when first read)."""
        if self._json is _NOT_PARSED:
            try:
                self._json = _json.loads(self.bytes or b"null")
            except ValueError:
                self._json = None
        return self._json

    @json.setter
    def json(self, value: Any) -> None:
        self._json = value

    def get_bytes(self) -> builtins.bytes:
        if self.bytes is None:
            if self.path is not None:
                try:
                    with open(self.path, "rb") as file:
                        self.bytes = file.read()
                except OSError:
                    return b""
            elif self._json is not None and self._json is not _NOT_PARSED:
                self.bytes = _encode(self._json)
        return self.bytes or b""

    @property
    def inferred_content_type(self) -> str:
        if self._json is not None:
            return "application/json"
        if self.path is not None:
            path = (
                self.path.decode("utf-8", "replace") if isinstance(self.path, bytes) else self.path
            )
            return mimetypes.guess_type(path)[0] or "application/octet-stream"
        return "application/octet-stream"

    def __repr__(self) -> str:
        return f"<Payload {self.inferred_content_type!r}>"


def _encode(value: Any) -> builtins.bytes:
    """Compact JSON, as Relay takes it; what JSON cannot carry is made safe first."""
    try:
        return wire.Item.from_json("payload", value).payload
    except Exception:  # NaN, objects, cycles …
        safe = to_json_safe(
            value, max_depth=50, max_breadth=100_000, max_string=1_000_000, max_nodes=10_000_000
        )
        return wire.Item.from_json("payload", safe).payload


class Item:
    """One item: its headers (``type`` …) and its payload."""

    __slots__ = ("headers", "payload")

    def __init__(
        self,
        payload: builtins.bytes | str | PayloadRef,
        headers: Mapping[str, Any] | None = None,
        type: str | None = None,
        content_type: str | None = None,
        filename: str | None = None,
    ) -> None:
        self.headers: dict[str, Any] = dict(headers or {})
        if isinstance(payload, str):
            payload = PayloadRef(bytes=payload.encode("utf-8"))
        elif isinstance(payload, builtins.bytes):
            payload = PayloadRef(bytes=payload)
        self.payload = payload
        if filename is not None:
            self.headers["filename"] = filename
        if type is not None:
            self.headers["type"] = type
        if content_type is not None:
            self.headers["content_type"] = content_type
        elif "content_type" not in self.headers:
            self.headers["content_type"] = payload.inferred_content_type

    @classmethod
    def from_wire(cls, item: wire.Item) -> Self:
        headers = dict(item.headers)
        is_json = str(headers.get("content_type", "")).endswith("json")
        payload = PayloadRef(bytes=item.payload, json=_NOT_PARSED if is_json else None)
        return cls(payload, headers)

    def to_wire(self) -> wire.Item:
        return wire.Item(dict(self.headers), self.get_bytes())

    @property
    def type(self) -> str | None:
        value = self.headers.get("type")
        return value if isinstance(value, str) else None

    @property
    def data_category(self) -> str:
        return wire.data_category(wire.Item({"type": self.type or ""}, b""))

    def get_bytes(self) -> builtins.bytes:
        return self.payload.get_bytes()

    def get_event(self) -> dict[str, Any] | None:
        """The error event this item carries, if it is one."""
        return self._json_of("event")

    def get_transaction_event(self) -> dict[str, Any] | None:
        return self._json_of("transaction")

    def _json_of(self, item_type: str) -> dict[str, Any] | None:
        if self.type != item_type:
            return None
        value = self.payload.json
        return value if isinstance(value, dict) else None

    def serialize(self) -> builtins.bytes:
        return wire.serialize_envelope(wire.Envelope({}, [self.to_wire()])).split(b"\n", 1)[1]

    def __repr__(self) -> str:
        return f"<Item headers={self.headers!r} payload={self.payload!r}>"


class Envelope:
    """Envelope headers (``event_id``, ``sent_at``, ``trace`` …) and its items."""

    __slots__ = ("headers", "items")

    def __init__(
        self, headers: Mapping[str, Any] | None = None, items: Iterable[Item] | None = None
    ) -> None:
        self.headers: dict[str, Any] = dict(headers or {})
        self.items: list[Item] = list(items or ())

    @classmethod
    def from_wire(cls, envelope: wire.Envelope) -> Self:
        return cls(envelope.headers, [Item.from_wire(item) for item in envelope.items])

    def to_wire(self) -> wire.Envelope:
        return wire.Envelope(dict(self.headers), [item.to_wire() for item in self.items])

    @property
    def description(self) -> str:
        categories = ", ".join(item.data_category for item in self.items)
        return f"envelope with {len(self.items)} items ({categories})"

    def add_item(self, item: Item) -> None:
        self.items.append(item)

    def _add_json(self, item_type: str, payload: Any) -> None:
        self.add_item(Item(PayloadRef(json=payload), type=item_type))

    def add_event(self, event: Mapping[str, Any]) -> None:
        self._add_json("event", event)

    def add_transaction(self, transaction: Mapping[str, Any]) -> None:
        self._add_json("transaction", transaction)

    def add_profile(self, profile: Any) -> None:
        self._add_json("profile", profile)

    def add_checkin(self, checkin: Any) -> None:
        self._add_json("check_in", checkin)

    def add_session(self, session: Any) -> None:
        to_json = getattr(session, "to_json", None)
        self._add_json("session", to_json() if callable(to_json) else session)

    def add_sessions(self, sessions: Any) -> None:
        self._add_json("sessions", sessions)

    def get_event(self) -> dict[str, Any] | None:
        """The error event of the envelope, if it carries one."""
        return next((e for e in map(Item.get_event, self.items) if e is not None), None)

    def get_transaction_event(self) -> dict[str, Any] | None:
        found = map(Item.get_transaction_event, self.items)
        return next((e for e in found if e is not None), None)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def serialize(self) -> builtins.bytes:
        """The envelope in Sentry's wire format (each item with its ``length``)."""
        return wire.serialize_envelope(self.to_wire())

    def serialize_into(self, file: IO[builtins.bytes]) -> None:
        file.write(self.serialize())

    @classmethod
    def deserialize(cls, data: builtins.bytes) -> Self:
        """Parse the wire format (``ValueError`` saying where it is malformed)."""
        return cls.from_wire(wire.parse_envelope(data))

    @classmethod
    def deserialize_from(cls, file: IO[builtins.bytes]) -> Self:
        return cls.deserialize(file.read())

    def __repr__(self) -> str:
        return f"<Envelope headers={self.headers!r} items={self.items!r}>"
