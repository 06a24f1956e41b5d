"""Sentry profile frames from code objects, rendered once and reused by every chunk."""

from types import CodeType
from typing import Final

from scopetel._events.stacktrace import FrameOptions, is_in_app, location
from scopetel._serialize import to_json_safe

Frame = dict[str, str | int | bool]

_MAX_CACHED: Final = 20_000  # rendered (code, line) pairs kept between chunks
_MAX_CODES: Final = 10_000  # codes whose line-free fields are kept
_MAX_TEXT: Final = 1024


class FrameRenderer:
    """Renders ``(code, line, module)`` as a profile frame; used under its profiler's lock.

    The caches are keyed by ``id(code)`` and keep the code object, so an id is never
    reused while its entry lives; each is emptied when full (dynamically made code).
    What does not depend on the line (paths, ``in_app``: ~40 us a code) is made once a
    code, so a line met for the first time costs a dict copy: a running service keeps
    meeting new lines long after its codes are all known. (The paths are those of the
    code's first frame: a ``chdir`` or ``sys.path`` change later does not move them.)
    """

    def __init__(self, options: FrameOptions) -> None:
        self._options = options
        self._cache: dict[tuple[int, int], tuple[CodeType, Frame]] = {}
        self._codes: dict[int, tuple[CodeType, str | None, Frame]] = {}

    def render(self, code: CodeType, lineno: int, module: object) -> Frame:
        key = (id(code), lineno)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is code:
            return hit[1]
        frame = self._fields(code, module if isinstance(module, str) else None).copy()
        if lineno > 0:
            frame["lineno"] = lineno
        frame["in_app"] = frame.pop("in_app")  # last, as sentry-sdk has it
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        self._cache[key] = (code, frame)
        return frame

    def _fields(self, code: CodeType, module: str | None) -> Frame:
        known = self._codes.get(id(code))
        if known is not None and known[0] is code and known[1] == module:
            return known[2]
        fields = _fields(code, module, self._options)
        if len(self._codes) >= _MAX_CODES:
            self._codes.clear()
        self._codes[id(code)] = (code, module, fields)
        return fields


def _text(value: str) -> str:
    """Cut and made encodable as UTF-8 (file names may hold surrogates)."""
    safe = to_json_safe(value, max_string=_MAX_TEXT)
    return safe if isinstance(safe, str) else ""


def _fields(code: CodeType, module: str | None, options: FrameOptions) -> Frame:
    """The fields sentry-sdk sends but ``lineno``: ``abs_path``, ``module``,
    ``filename``, ``function``, ``in_app`` (a field whose value is unknown is left out)."""
    frame: Frame = {}
    raw_path = code.co_filename if isinstance(code.co_filename, str) else ""
    abs_path = ""
    if raw_path:
        filename, abs_path = location(module, raw_path, options.project_root)
        frame["abs_path"] = _text(abs_path)
    if module:
        frame["module"] = _text(module)
    if raw_path:
        frame["filename"] = _text(filename)
    frame["function"] = _text(code.co_qualname or code.co_name or "<unknown>")
    frame["in_app"] = is_in_app(module, abs_path or None, options)
    return frame
