"""The JSON-lines file: every received record appended as one line, flushed per request."""

import json
import threading
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

from scopetel.serve._records import Received

__all__ = ["JsonLinesSink"]


class JsonLinesSink:
    """Appends records to ``path`` (created with its parent directories); thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = path.open("a", encoding="utf-8", errors="backslashreplace")
        self._lock = threading.Lock()

    def write(self, records: list[Received]) -> None:
        # Payloads come from strict JSON or are normalised, so dumps cannot fail on them;
        # a lone surrogate from a JSON escape is written back as that escape.
        lines = "".join(
            json.dumps(record.to_json(), ensure_ascii=False, allow_nan=False) + "\n"
            for record in records
        )
        with self._lock:
            if self._file.closed:
                return
            self._file.write(lines)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
