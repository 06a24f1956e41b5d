"""Prints what arrives, one block per request, never interleaving two requests' lines."""

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Final, TextIO

from scopetel.serve._memory import SpanMemory
from scopetel.serve._records import Received
from scopetel.serve._style import Style
from scopetel.serve._views_otlp import otlp_views
from scopetel.serve._views_sentry import event_line, item_line, segment_views, transaction_view

__all__ = ["Printer"]

LOGGER: Final = logging.getLogger("scopetel.serve")


class Printer:
    """Renders records as text on ``out``; with ``quiet`` only ``message`` lines are shown."""

    def __init__(self, out: TextIO, style: Style, *, quiet: bool = False) -> None:
        self.out = out
        self.style = style
        self.quiet = quiet
        self.memory = SpanMemory()
        self._lock = threading.Lock()

    def message(self, text: str) -> None:
        self._write([text])

    def show(self, records: list[Received]) -> None:
        """Print the records of one request; a record that can't be shown gets a note."""
        if self.quiet or not records:
            return
        blocks: list[list[str]] = []
        otlp = [record for record in records if record.kind == "otlp_span"]
        if otlp:
            blocks.append(
                self._guarded("OTLP spans", partial(otlp_views, otlp, self.memory, self.style))
            )
        for record in records:
            if record.kind != "otlp_span":
                blocks.append(self._guarded(f"{record.kind} item", partial(self._render, record)))
        lines: list[str] = []
        for block in blocks:  # a tree is followed by a blank line, one-line summaries are not
            lines += [*block, ""] if len(block) > 1 else block
        self._write(lines)

    def _render(self, record: Received) -> list[str]:
        if record.kind == "transaction":
            return transaction_view(record.payload, self.memory, self.style)
        if record.kind == "span":
            return segment_views(record.payload, self.memory, self.style)
        if record.kind == "event":
            return [event_line(record.payload, self.style)]
        return [item_line(record, self.style)]

    def _guarded(self, what: str, render: Callable[[], list[str]]) -> list[str]:
        try:
            return render()
        except Exception as error:
            LOGGER.exception("scopetel serve: could not print %s", what)
            return [f"(could not print {what}: {error!r}; it is in the JSON-lines file)"]

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        text = "\n".join(lines) + "\n"
        with self._lock:
            try:
                self.out.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self.out, "encoding", None) or "ascii"
                self.out.write(text.encode(encoding, "replace").decode(encoding))
            self.out.flush()
