"""Prints what arrives, one block per request, never interleaving two requests' lines."""

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Final, TextIO

from scopetel.serve._memory import SpanMemory
from scopetel.serve._records import Received
from scopetel.serve._style import Style
from scopetel.serve._trace_buffer import TraceBuffer
from scopetel.serve._views_otlp import otlp_views
from scopetel.serve._views_sentry import event_line, item_line, segment_views, transaction_view

__all__ = ["Printer"]

LOGGER: Final = logging.getLogger("scopetel.serve")


class Printer:
    """Renders records as text on ``out``; with ``quiet`` only ``message`` lines are shown.

    OTLP spans are drawn once their trace has been quiet for ``otlp_settle`` seconds
    (0: at once), so a trace split over several export requests is usually one tree.
    """

    def __init__(
        self, out: TextIO, style: Style, *, quiet: bool = False, otlp_settle: float = 1.0
    ) -> None:
        self.out = out
        self.style = style
        self.quiet = quiet
        self.memory = SpanMemory()
        self._lock = threading.Lock()
        self._closed_output = False  # set when ``out`` fails: printing stops, recording goes on
        self._traces = TraceBuffer(otlp_settle, self._show_otlp)

    def message(self, text: str) -> None:
        self._write([text])

    def show(self, records: list[Received]) -> None:
        """Print the records of one request; a record that can't be shown gets a note."""
        if self.quiet or not records:
            return
        otlp = [record for record in records if record.kind == "otlp_span"]
        if otlp:
            self._traces.add(otlp)
        blocks: list[list[str]] = []
        for record in records:
            if record.kind != "otlp_span":
                blocks += self._guarded(f"{record.kind} item", partial(self._render, record))
        self._write_blocks(blocks)

    def close(self) -> None:
        """Print the OTLP traces still waiting to settle."""
        self._traces.close()

    def _show_otlp(self, records: list[Received]) -> None:
        render = partial(otlp_views, records, self.memory, self.style)
        self._write_blocks(self._guarded("OTLP spans", render))

    def _write_blocks(self, blocks: list[list[str]]) -> None:
        lines: list[str] = []
        for block in blocks:  # a tree is followed by a blank line, one-line summaries are not
            lines += [*block, ""] if len(block) > 1 else block
        self._write(lines)

    def _render(self, record: Received) -> list[list[str]]:
        if record.kind == "transaction":
            return [transaction_view(record.payload, self.memory, self.style)]
        if record.kind == "span":
            return segment_views(record.payload, self.memory, self.style)
        if record.kind == "event":
            return [[event_line(record.payload, self.style)]]
        return [[item_line(record, self.style)]]

    def _guarded(self, what: str, render: Callable[[], list[list[str]]]) -> list[list[str]]:
        try:
            return render()
        except Exception as error:
            LOGGER.exception("scopetel serve: could not print %s", what)
            return [[f"(could not print {what}: {error!r}; it is in the JSON-lines file)"]]

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        text = "\n".join(lines) + "\n"
        with self._lock:
            if self._closed_output:
                return
            try:
                try:
                    self.out.write(text)
                except UnicodeEncodeError:
                    encoding = getattr(self.out, "encoding", None) or "ascii"
                    self.out.write(text.encode(encoding, "replace").decode(encoding))
                self.out.flush()
            except (OSError, ValueError) as error:  # a closed pipe or stream
                self._closed_output = True
                LOGGER.warning("scopetel serve: output closed (%s); still recording", error)
