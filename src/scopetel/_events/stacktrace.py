"""Sentry stack frames from tracebacks and live stacks.

Frames come out oldest call first, as Sentry wants them. Each frame is a plain JSON
dict (``filename``, ``abs_path``, ``function``, ``module``, ``lineno``, source context,
``in_app``, ``vars``); a field whose value is unknown is left out, never ``None``.

Frames of scopetel itself and frames that set ``__tracebackhide__`` or
``__traceback_hide__`` to a true value are left out, so an event points at user code.
So is the thread start-up frame (``threading``'s ``_bootstrap_inner``) that heads the
traceback of an exception escaping ``Thread.run``: the traceback starts at ``run``, as
with sentry_sdk's threading integration (the same frames, the same grouping).
"""

import linecache
import os
import re
import sys
import sysconfig
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any, Final

from scopetel._internal_errors import report_internal_error
from scopetel._serialize import TRUNCATION_KEY, JSONValue, safe_repr, to_json_safe

_THIRD_PARTY: Final = re.compile(r"[\\/](?:site|dist)-packages[\\/]")
_SEPARATORS: Final = re.compile("[" + re.escape(os.sep + (os.altsep or "")) + "]")
_HIDDEN_PACKAGE: Final = "scopetel"
_HIDE_FLAGS: Final = ("__tracebackhide__", "__traceback_hide__")
_THREAD_START: Final = ("threading", "_bootstrap_inner")

_MAX_CONTEXT_LINES: Final = 50
_MAX_PATH: Final = 4096
_MAX_VARS: Final = 10  # local variables shown per frame (sentry_sdk shows 10)
_VAR_DEPTH: Final = 4  # nesting shown inside one variable (the frame's vars are a 5th)
_VAR_BREADTH: Final = 10  # entries shown per container inside one variable (as sentry_sdk)
_VAR_NODES: Final = 100  # values shown in total inside one variable


def _stdlib_dirs() -> tuple[str, ...]:
    """Directories of the standard library (in a venv, of the base interpreter)."""
    found: set[str] = set()
    try:
        paths = sysconfig.get_paths()
        for key in ("stdlib", "platstdlib"):
            if paths.get(key):
                found.add(os.path.normpath(paths[key]))
        found.add(os.path.dirname(os.path.normpath(os.__file__)))
    except Exception:
        report_internal_error("_stacktrace._stdlib_dirs")
    return tuple(sorted(found))


_STDLIB_DIRS: Final = _stdlib_dirs()


@dataclass(frozen=True, slots=True)
class FrameOptions:
    """How frames are rendered; built once from the client options.

    ``in_app_include``/``in_app_exclude`` hold module prefixes (``"pkg"`` matches ``pkg``
    and ``pkg.sub``). ``max_frames`` bounds the frames of one stack trace (see
    :func:`frames_from_traceback`). ``app_root``: the directory of the application's own
    files (the client's is ``project_root``, else the working directory at ``init()``, as
    sentry-sdk's); None: every file outside libraries and the standard library.
    """

    in_app_include: tuple[str, ...] = ()
    in_app_exclude: tuple[str, ...] = ()
    include_local_variables: bool = True
    include_source_context: bool = True
    context_lines: int = 5
    max_value_length: int = 1024
    project_root: str | None = None
    app_root: str | None = None
    max_frames: int = 100
    custom_repr: Callable[[Any], object] | None = None  # the option: repr of variables


def frames_from_traceback(
    tb: TracebackType | None, options: FrameOptions
) -> list[dict[str, JSONValue]]:
    """The frames of a traceback, oldest call first; never raises.

    A traceback longer than ``options.max_frames`` (a deep recursion) keeps its oldest
    half and its newest half: where the recursion started and where it failed. The
    repeated middle is dropped.
    """
    try:
        entries: list[tuple[FrameType, int | None]] = []
        current = tb
        if isinstance(current, TracebackType) and _is_thread_start(current.tb_frame):
            current = current.tb_next
        while isinstance(current, TracebackType):
            if not _is_hidden(current.tb_frame):
                entries.append((current.tb_frame, current.tb_lineno))
            current = current.tb_next
        return _render(entries, options)
    except Exception:
        report_internal_error("frames_from_traceback")
        return []


def frames_from_stack(
    frame: FrameType | None, options: FrameOptions, *, skip: int = 0
) -> list[dict[str, JSONValue]]:
    """The frames of a live stack from ``frame`` outwards, oldest call first; never raises.

    ``skip`` drops that many of the newest frames (the SDK's own callers of this).
    Bounded like :func:`frames_from_traceback`.
    """
    try:
        entries: list[tuple[FrameType, int | None]] = []
        current = frame
        while isinstance(current, FrameType):
            if skip > 0:
                skip -= 1
            elif not _is_hidden(current):
                entries.append((current, current.f_lineno))
            current = current.f_back
        entries.reverse()
        return _render(entries, options)
    except Exception:
        report_internal_error("frames_from_stack")
        return []


def _render(
    entries: list[tuple[FrameType, int | None]], options: FrameOptions
) -> list[dict[str, JSONValue]]:
    limit = max(options.max_frames, 2)
    if len(entries) > limit:
        oldest = limit // 2
        entries = entries[:oldest] + entries[len(entries) - (limit - oldest) :]
    frames: list[dict[str, JSONValue]] = []
    for frame, lineno in entries:
        try:
            frames.append(_frame(frame, lineno, options))
        except Exception:  # one odd frame must not cost the whole stack trace
            report_internal_error("_stacktrace._frame")
    return frames


def _is_thread_start(frame: FrameType) -> bool:
    return (frame.f_globals.get("__name__"), frame.f_code.co_name) == _THREAD_START


def _is_hidden(frame: FrameType) -> bool:
    try:
        module = frame.f_globals.get("__name__")
        if isinstance(module, str) and (
            module == _HIDDEN_PACKAGE or module.startswith(_HIDDEN_PACKAGE + ".")
        ):
            return True
        code = frame.f_code
        if not any(flag in code.co_varnames or flag in code.co_cellvars for flag in _HIDE_FLAGS):
            return False
        local_values = frame.f_locals
        return any(bool(local_values.get(flag)) for flag in _HIDE_FLAGS)
    except Exception:
        return False


def _frame(frame: FrameType, lineno: int | None, options: FrameOptions) -> dict[str, JSONValue]:
    """One Sentry frame; texts are made UTF-8 safe (file names may hold surrogates)."""
    code = frame.f_code
    raw_path = code.co_filename if isinstance(code.co_filename, str) else ""
    module_name = frame.f_globals.get("__name__")
    module = module_name if isinstance(module_name, str) and module_name else None
    abs_path = _absolute(raw_path)

    result: dict[str, JSONValue] = {}
    if raw_path:
        result["filename"] = _cut(_filename(module, abs_path, options.project_root), _MAX_PATH)
        result["abs_path"] = _cut(abs_path, _MAX_PATH)
    # The bare name, as sentry_sdk sends it (issues keep their grouping after a switch);
    # the qualified name, when it says more, as ``raw_function``.
    name = code.co_name or "<unknown>"
    result["function"] = _cut(name, _MAX_PATH)
    if code.co_qualname and code.co_qualname != name:
        result["raw_function"] = _cut(code.co_qualname, _MAX_PATH)
    if module is not None:
        result["module"] = _cut(module, _MAX_PATH)
    if isinstance(lineno, int) and lineno > 0:
        result["lineno"] = lineno
        if options.include_source_context and raw_path:
            result.update(_source_context(raw_path, lineno, frame.f_globals, options))
    result["in_app"] = is_in_app(module, abs_path or None, options)
    if options.include_local_variables:
        result["vars"] = _frame_vars(frame, options.max_value_length, options.custom_repr)
    return result


def location(module: str | None, raw_path: str, project_root: str | None) -> tuple[str, str]:
    """``(filename, abs_path)`` of code at ``raw_path`` (a ``co_filename``), as in frames."""
    abs_path = _absolute(raw_path)
    return _filename(module, abs_path, project_root), abs_path


def _is_pseudo_path(path: str) -> bool:
    """``<string>``, ``<stdin>``, ``<frozen os>``: code with no file behind it."""
    return path.startswith("<") and path.endswith(">")


def _absolute(path: str) -> str:
    if not path or _is_pseudo_path(path):
        return path
    try:
        return os.path.normpath(path) if os.path.isabs(path) else os.path.abspath(path)
    except Exception:  # the working directory may be gone
        return path


def _filename(module: str | None, abs_path: str, project_root: str | None) -> str:
    """The path Sentry shows and groups by: short and the same on every machine.

    In order: the path implied by the module name (``pkg/sub/mod.py`` for
    ``pkg.sub.mod``, which is the path relative to its ``sys.path`` entry); the path
    relative to ``project_root``; relative to the longest matching ``sys.path`` entry;
    the base name.
    """
    if _is_pseudo_path(abs_path):
        return abs_path
    if module is not None:
        from_module = _module_relative(module, abs_path)
        if from_module is not None:
            return from_module
    for root in _roots(project_root):
        if _is_under(abs_path, root):
            return abs_path[len(root.rstrip(os.sep)) + 1 :]
    return os.path.basename(abs_path) or abs_path


def _module_relative(module: str, abs_path: str) -> str | None:
    """``pkg/mod.py`` for module ``pkg.mod`` at ``/x/pkg/mod.py``; None if they disagree."""
    names = module.split(".")
    stem, _extension = os.path.splitext(abs_path)
    components = _SEPARATORS.split(stem)
    keep = len(names)
    if components[-1] == "__init__":
        components.pop()
        keep += 1
    if len(components) <= len(names) or components[-len(names) :] != names:
        return None
    tail = _SEPARATORS.split(abs_path)[-keep:]
    return abs_path[len(abs_path) - len("/".join(tail)) :]


def _roots(project_root: str | None) -> list[str]:
    """``project_root`` first, then ``sys.path`` entries, longest first."""
    roots: list[str] = []
    entries: Iterable[object] = sys.path
    for entry in list(entries):
        if isinstance(entry, str):
            try:
                roots.append(os.path.abspath(entry))
            except Exception:
                continue
    roots.sort(key=len, reverse=True)
    if project_root:
        roots.insert(0, os.path.abspath(project_root))  # as ``app_root`` makes it
    return roots


def app_root(project_root: str | None) -> str | None:
    """The directory of the application's own files: ``project_root``, else the working
    directory now (None when it cannot be read: every file then counts)."""
    try:
        return os.path.abspath(project_root or os.getcwd())
    except Exception:  # a working directory since removed
        return None


def _is_under(path: str, directory: str) -> bool:
    prefix = directory if directory.endswith(os.sep) else directory + os.sep
    return path.startswith(prefix)


def is_in_app(module: str | None, abs_path: str | None, options: FrameOptions) -> bool:
    """Whether a frame is the application's own code.

    The longest matching module prefix of ``in_app_include``/``in_app_exclude`` decides
    (include wins a tie), so ``exclude=("app.vendored",)`` carves a hole in
    ``include=("app",)``. Otherwise code under ``site-packages``/``dist-packages`` and
    the standard library (including frozen modules) is not in-app; of the rest, the files
    under ``options.app_root`` are (all of them when it is None). sentry-sdk's rule: a
    virtualenv's scripts, directories added to ``sys.path`` and an SDK run from a source
    tree outside the project are not the application's code.
    """
    include = _longest_prefix(module, options.in_app_include)
    exclude = _longest_prefix(module, options.in_app_exclude)
    if include or exclude:
        return include >= exclude
    if not abs_path:
        return True
    if _is_pseudo_path(abs_path):
        return not abs_path.startswith("<frozen ")
    if _THIRD_PARTY.search(abs_path):
        return False
    if any(_is_under(abs_path, directory) for directory in _STDLIB_DIRS):
        return False
    root = options.app_root
    return root is None or _is_under(abs_path, root)


def _longest_prefix(module: str | None, prefixes: tuple[str, ...]) -> int:
    """Length of the longest entry of ``prefixes`` that is ``module`` or a parent of it."""
    if not module:
        return 0
    best = 0
    for prefix in prefixes:
        if prefix and (module == prefix or module.startswith(prefix + ".")):
            best = max(best, len(prefix))
    return best


def _source_context(
    path: str, lineno: int, module_globals: dict[str, Any], options: FrameOptions
) -> dict[str, JSONValue]:
    """``pre_context``/``context_line``/``post_context``; empty when there is no source.

    ``linecache`` (as ``traceback`` uses it) reads the file or asks the module's loader;
    code with a pseudo file name (``exec``, ``<stdin>``) has no source there, so no
    context is invented for it.
    """
    try:
        linecache.checkcache(path)
        lines = linecache.getlines(path, module_globals)
    except Exception:
        return {}
    if not lines or lineno > len(lines):
        return {}
    count = min(max(options.context_lines, 0), _MAX_CONTEXT_LINES)
    index = lineno - 1
    limit = options.max_value_length

    def clean(line: str) -> str:
        return _cut(line.rstrip("\r\n"), limit)

    context: dict[str, JSONValue] = {"context_line": clean(lines[index])}
    pre: list[JSONValue] = [clean(line) for line in lines[max(index - count, 0) : index]]
    post: list[JSONValue] = [clean(line) for line in lines[index + 1 : index + 1 + count]]
    if pre:
        context["pre_context"] = pre
    if post:
        context["post_context"] = post
    return context


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters and made encodable as UTF-8."""
    value = to_json_safe(text, max_string=limit)
    return value if isinstance(value, str) else ""


def _frame_vars(
    frame: FrameType, max_value_length: int, custom_repr: Callable[[Any], object] | None = None
) -> dict[str, JSONValue]:
    """The frame's local variables as Sentry shows them (Python ``repr`` of values).

    In a module-level frame the locals are the module's globals: the dunder names
    (``__builtins__``, ``__loader__`` ...) are skipped, they are not the user's state.
    """
    try:
        local_values = frame.f_locals
        module_level = local_values is frame.f_globals
        items = list(local_values.items())
    except Exception:
        return {}
    result: dict[str, JSONValue] = {}
    shown = 0
    for name, value in items:
        text = name if isinstance(name, str) else safe_repr(name, max_value_length)
        if module_level and text.startswith("__") and text.endswith("__"):
            continue
        if shown >= _MAX_VARS:
            result[TRUNCATION_KEY] = "<more variables>"
            break
        result[text] = to_json_safe(
            value,
            max_depth=_VAR_DEPTH,
            max_breadth=_VAR_BREADTH,
            max_string=max_value_length,
            max_nodes=_VAR_NODES,
            repr_leaves=True,
            custom_repr=custom_repr,
        )
        shown += 1
    return result
