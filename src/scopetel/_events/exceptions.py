"""Sentry ``exception.values`` from Python exceptions: chains, groups, mechanisms.

Sentry wants the list oldest cause first and the exception that was raised last at
the end. Every exception is numbered in the order it is reached from the raised one
(``mechanism.exception_id``: the raised exception is 0); each other one names the
exception it hangs off (``parent_id``) and how (``source``: ``__cause__``,
``__context__`` or ``exceptions[i]`` of an exception group).
"""

import contextlib
import sys
from types import TracebackType
from typing import Final

from scopetel._events.stacktrace import FrameOptions, frames_from_traceback
from scopetel._internal_errors import report_internal_error
from scopetel._serialize import JSONValue, safe_str

MAX_VALUE_LENGTH: Final = 8192  # Relay's limit for messages; exception texts get as much

_CHAINED_MECHANISM: Final = "chained"
"""The mechanism type of every exception below the raised one when the event lists a tree
(an exception group is involved); a plain chain keeps the raised one's type throughout."""


def exc_info_from(value: BaseException | tuple[object, ...] | bool | None) -> BaseException | None:
    """The exception meant by ``capture_exception(error)``'s argument; never raises.

    ``None`` or ``True``: the exception being handled (``sys.exc_info()``); an
    exception instance: itself; an ``exc_info`` 3-tuple: its value. Anything else,
    including ``False`` and a tuple without an exception, means no exception.
    """
    try:
        if value is None or value is True:
            return sys.exc_info()[1]
        if isinstance(value, BaseException):
            return value
        if isinstance(value, tuple) and len(value) == 3 and isinstance(value[1], BaseException):
            return value[1]
    except Exception:
        report_internal_error("exc_info_from")
    return None


def exceptions_from_error(
    error: BaseException,
    options: FrameOptions,
    *,
    mechanism_type: str = "generic",
    handled: bool = True,
    max_exceptions: int = 25,
) -> list[dict[str, JSONValue]]:
    """The ``exception.values`` of an event for ``error``; never raises.

    Follows ``__cause__``, else ``__context__`` unless ``__suppress_context__`` (as
    Python's own traceback printing does), and the members of exception groups, nested.
    An exception reached twice (a cycle, or one shared by group members) is listed once.
    At most ``max_exceptions`` are listed: those nearest to the raised one.

    A plain chain of causes and contexts (no exception group in it) is a list, as
    sentry-sdk sends it: every exception carries ``mechanism_type`` and no ids. Once an
    exception group is involved the list is a tree: each exception has its id, parent
    and source, and all but the raised one are ``"chained"``.
    """
    candidate: object = error  # callers pass whatever they got
    if not isinstance(candidate, BaseException):
        return []
    try:
        tree = _walk(candidate, max(max_exceptions, 1))
        with_ids = any(isinstance(node[0], BaseExceptionGroup) for node in tree)
        values = [_exception(node, options, mechanism_type, handled, with_ids) for node in tree]
        values.reverse()
        return values
    except Exception:
        report_internal_error("exceptions_from_error")
        return []


_Node = tuple[BaseException, int, int | None, str | None]  # error, id, parent id, source


def _walk(error: BaseException, limit: int) -> list[_Node]:
    """Number the exceptions reachable from ``error`` depth first, parents before children.

    Iterative, so that a long chain or deeply nested groups cannot exhaust the stack.
    """
    nodes: list[_Node] = []
    seen: set[int] = set()
    pending: list[tuple[BaseException, int | None, str | None]] = [(error, None, None)]
    while pending and len(nodes) < limit:
        current, parent, source = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        exception_id = len(nodes)
        nodes.append((current, exception_id, parent, source))
        children = _children(current, limit)
        pending.extend((child, exception_id, how) for child, how in reversed(children))
    return nodes


def _children(error: BaseException, limit: int) -> list[tuple[BaseException, str]]:
    """The exceptions hanging off ``error``, in the order Sentry lists them."""
    children: list[tuple[BaseException, str]] = []
    cause = _attribute(error, "__cause__")
    context = _attribute(error, "__context__")
    if isinstance(cause, BaseException):
        children.append((cause, "__cause__"))
    elif (
        isinstance(context, BaseException) and _attribute(error, "__suppress_context__") is not True
    ):
        children.append((context, "__context__"))
    if isinstance(error, BaseExceptionGroup):
        members = error.exceptions
        if isinstance(members, tuple):
            for index, member in enumerate(members[:limit]):
                if isinstance(member, BaseException):
                    children.append((member, f"exceptions[{index}]"))
    return children


def _exception(
    node: _Node, options: FrameOptions, mechanism_type: str, handled: bool, with_ids: bool
) -> dict[str, JSONValue]:
    error, exception_id, parent_id, source = node
    cls = type(error)
    mechanism: dict[str, JSONValue] = {
        "type": _CHAINED_MECHANISM if with_ids and parent_id is not None else mechanism_type,
        "handled": handled,
    }
    if with_ids:
        mechanism["exception_id"] = exception_id
        if parent_id is not None and source is not None:
            mechanism["parent_id"] = parent_id
            mechanism["source"] = source
    if isinstance(error, BaseExceptionGroup):
        mechanism["is_exception_group"] = True
    errno = _attribute(error, "errno") if isinstance(error, OSError) else None
    if isinstance(errno, int) and not isinstance(errno, bool):
        mechanism["meta"] = {"errno": {"number": errno}}

    value = _message(error, options.max_value_length)
    result: dict[str, JSONValue] = {"type": _type_name(cls), "value": value}
    module = _attribute(cls, "__module__")
    if isinstance(module, str) and module not in ("builtins", "__builtins__"):
        result["module"] = module
    traceback = _attribute(error, "__traceback__")
    if isinstance(traceback, TracebackType):
        frames: list[JSONValue] = list(frames_from_traceback(traceback, options))
        if frames:
            result["stacktrace"] = {"frames": frames}
    result["mechanism"] = mechanism
    return result


def _type_name(cls: type) -> str:
    """The class's qualified name, as sentry-sdk sends it (grouping depends on it)."""
    for attribute in ("__qualname__", "__name__"):
        name = _attribute(cls, attribute)
        if isinstance(name, str) and name:
            return name
    return "Exception"


def _message(error: BaseException, max_length: int = MAX_VALUE_LENGTH) -> str:
    """``str(error)`` plus its notes (``add_note``), bounded; survives a raising ``__str__``.

    An exception group's value is its own message, without Python's "(N sub-exceptions)"
    (its members are exceptions of the event), as sentry_sdk sends it.
    """
    try:
        group_message = error.message if isinstance(error, BaseExceptionGroup) else None
        text = group_message if isinstance(group_message, str) else str(error)
        if not isinstance(text, str):
            raise TypeError("__str__ returned a non-string")
    except Exception:
        text = f"<unprintable {_type_name(type(error))} object>"
    notes = _attribute(error, "__notes__")
    if isinstance(notes, (list, tuple)):
        lines = [note for note in notes if isinstance(note, str)]
        if lines:
            text = "\n".join([text, *lines])
    return safe_str(text, max_length)


def _attribute(owner: object, name: str) -> object:
    """``getattr`` that survives a raising ``__getattribute__``/``__getattr__``."""
    try:
        return getattr(owner, name, None)
    except Exception:
        return None


_CAPTURED: Final = "__scopetel_captured__"


def mark_captured(error: BaseException) -> None:
    """Remember that ``error`` was reported (a read-only ``__setattr__`` leaves it unmarked)."""
    with contextlib.suppress(Exception):
        setattr(error, _CAPTURED, True)


def was_captured(error: object) -> bool:
    """Whether ``error`` was reported as unhandled already."""
    try:
        return getattr(error, _CAPTURED, False) is True
    except Exception:
        return False
