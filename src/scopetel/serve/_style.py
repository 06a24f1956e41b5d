"""How the receiver's output looks: colours only on a terminal, ASCII when UTF-8 can't be used."""

import os
from dataclasses import dataclass
from typing import Final, Literal, Self, TextIO

__all__ = ["ColorMode", "Style", "count", "format_duration"]

ColorMode = Literal["auto", "always", "never"]

_CODES: Final = {
    "title": "1",  # bold
    "op": "36",  # cyan
    "dim": "2",
    "error": "31",  # red
    "warn": "33",  # yellow
}


@dataclass(frozen=True, slots=True)
class Style:
    """Colours (ANSI) on or off, and box-drawing or ASCII tree glyphs."""

    color: bool = False
    unicode: bool = True

    @classmethod
    def for_stream(cls, stream: TextIO, mode: ColorMode = "auto") -> Self:
        encoding = getattr(stream, "encoding", None)  # None: in-memory text (StringIO)
        unicode = encoding is None or encoding.lower().replace("-", "") in ("utf8", "utf8sig")
        if mode == "auto":
            isatty = getattr(stream, "isatty", None)
            tty = bool(isatty and isatty())
            color = tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
        else:
            color = mode == "always"
        return cls(color=color, unicode=unicode)

    def paint(self, text: str, role: str) -> str:
        code = _CODES.get(role)
        if not self.color or code is None or not text:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"

    @property
    def branch(self) -> str:
        return "├─ " if self.unicode else "|- "

    @property
    def last_branch(self) -> str:
        return "└─ " if self.unicode else "`- "

    @property
    def pipe(self) -> str:
        return "│  " if self.unicode else "|  "

    @property
    def dot(self) -> str:
        return " · " if self.unicode else " | "

    @property
    def warn_mark(self) -> str:
        return "⚠" if self.unicode else "!"

    @property
    def error_mark(self) -> str:
        return "✗" if self.unicode else "x"


def format_duration(seconds: float | None) -> str:
    """``0.42 ms``, ``12.3 ms``, ``1.25 s``; ``?`` when unknown."""
    if seconds is None:
        return "?"
    millis = round(seconds * 1000, 3)  # 0.9999999 ms is 1.0 ms
    if abs(millis) < 1:
        return f"{millis:.2f} ms"
    if abs(millis) < 1000:
        return f"{millis:.1f} ms"
    return f"{seconds:.2f} s"


def count(number: int, noun: str) -> str:
    """``1 span``, ``3 spans``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
