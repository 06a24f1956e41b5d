"""Files and data sent along with events: ``scope.add_attachment(...)`` (sentry_sdk's names).

An attachment added to a scope rides along with every error event captured under that
scope, and with transactions too when ``add_to_transactions=True``. Its content is read
when the event is sent, not when it is added: ``bytes`` may be a callable, and ``path``
is read then. Sending never raises: an unreadable file or a failing callable is left
out with a debug line, and an attachment over :data:`MAX_ATTACHMENT_BYTES` (counted per
envelope) is left out with a debug line and a ``send_error`` client report (Sentry counts
attachments in bytes).
"""

import logging
import mimetypes
import os
from collections.abc import Callable, Iterable
from typing import Final

from scopetel_exporter_sentry.envelope import Item

__all__ = ["MAX_ATTACHMENT_BYTES", "Attachment"]

LOGGER: Final = logging.getLogger("scopetel")
MAX_ATTACHMENT_BYTES: Final = 10 * 1024 * 1024
"""The most attachment bytes one envelope carries (the transport queues 16 MiB at most)."""

RecordLost = Callable[[str, str, int], None]
Content = bytes | bytearray | memoryview | Callable[[], bytes]


class Attachment:
    """An attachment: raw ``bytes`` (or a callable giving them) or a file ``path``.

    ``filename`` defaults to the path's base name; ``content_type`` is guessed from the
    file name when not given. Without ``bytes`` or ``path``, or without any file name,
    the constructor raises ``TypeError`` as sentry_sdk's does (``scope.add_attachment``
    never raises: it logs and adds nothing).
    """

    __slots__ = ("add_to_transactions", "bytes", "content_type", "filename", "path")

    def __init__(
        self,
        bytes: Content | None = None,
        filename: str | None = None,
        path: str | os.PathLike[str] | None = None,
        content_type: str | None = None,
        add_to_transactions: bool = False,
    ) -> None:
        if bytes is None and path is None:
            raise TypeError("an attachment needs bytes or a path")
        if filename is None and path is not None:
            filename = os.path.basename(os.fspath(path))
        if not filename:
            raise TypeError("an attachment needs a filename")
        self.bytes = bytes
        self.filename = str(filename)
        self.path = None if path is None else os.fspath(path)
        self.content_type = content_type or mimetypes.guess_type(self.filename)[0]
        self.add_to_transactions = bool(add_to_transactions)

    def read(self, limit: int) -> bytes | int | None:
        """The content; its size when larger than ``limit``; None when it cannot be read."""
        try:
            if self.bytes is not None:
                data: object = self.bytes() if callable(self.bytes) else self.bytes
                if not isinstance(data, (bytes, bytearray, memoryview)):
                    LOGGER.debug("scopetel: attachment %r is not bytes; left out", self.filename)
                    return None
                content = bytes(data)
                return content if len(content) <= limit else len(content)
            assert self.path is not None
            with open(self.path, "rb") as file:
                size = os.fstat(file.fileno()).st_size
                if size > limit:
                    return size
                content = file.read(limit + 1)
            return content if len(content) <= limit else len(content)
        except Exception as error:
            LOGGER.debug("scopetel: attachment %r not read (%s); left out", self.filename, error)
            return None

    def to_envelope_item(self) -> Item | None:
        """The ``attachment`` item (None when the content cannot be read or is too large)."""
        data = self.read(MAX_ATTACHMENT_BYTES)
        return _item(self, data) if isinstance(data, bytes) else None

    def __repr__(self) -> str:
        return f"<Attachment {self.filename!r}>"


def _item(attachment: Attachment, data: bytes) -> Item:
    headers: dict[str, object] = {"type": "attachment", "filename": attachment.filename}
    if attachment.content_type:
        headers["content_type"] = attachment.content_type
    headers["length"] = len(data)
    return Item(headers, data)


def envelope_items(
    attachments: Iterable[object], record_lost: RecordLost, budget: int = MAX_ATTACHMENT_BYTES
) -> list[Item]:
    """The items of ``attachments`` that can be read and fit ``budget`` bytes in total.

    What is left out is logged at debug level; what is too large is counted as
    ``send_error`` in bytes, what cannot be read as one ``send_error``.
    """
    items: list[Item] = []
    for attachment in attachments:
        if not isinstance(attachment, Attachment):
            LOGGER.debug("scopetel: %r is not an Attachment; left out", type(attachment).__name__)
            continue
        data = attachment.read(budget)
        if data is None:
            record_lost("send_error", "attachment", 1)
        elif isinstance(data, int):
            LOGGER.debug(
                "scopetel: attachment %r has %d bytes, over the %d left; left out",
                attachment.filename,
                data,
                budget,
            )
            record_lost("send_error", "attachment", data)
        else:
            budget -= len(data)
            items.append(_item(attachment, data))
    return items


def of_scopes(attachment_lists: Iterable[Iterable[Attachment]], transaction: bool) -> list[object]:
    """The attachments of the scopes' lists, once each; for a transaction, those asked for."""
    seen: set[int] = set()
    found: list[object] = []
    for attachments in attachment_lists:
        for attachment in attachments:
            if id(attachment) in seen or (transaction and not attachment.add_to_transactions):
                continue
            seen.add(id(attachment))
            found.append(attachment)
    return found
