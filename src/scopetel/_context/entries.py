"""Enter and leave Contexts without tokens, so that exits may come in any order.

``context.detach(token)`` resets a ContextVar to whatever it held at ``attach``: an
exit out of order (two generators closed the other way round) resurrects stale state,
and an exit in another ``contextvars.Context`` raises ``ValueError``. Instead every
Context that scopetel attaches carries a :class:`Frame` recording the Context it
replaced. Leaving the frame that is current here attaches that earlier Context again.
Leaving a frame that is *below* the current one (out of order) marks it, and the
restore that later reaches it skips it. Leaving a frame that is not in this Context's
chain at all (another thread) changes nothing here.

A frame left in-order is never marked: tasks and threads that copied the Context
inside the frame (a background task outliving its request) keep seeing it.
"""

from collections.abc import Mapping
from typing import cast

from opentelemetry import context as otel_context
from opentelemetry.context import Context

from scopetel._context.keys import FRAME


class Frame:
    """One attached Context: what it replaced, and whether it was left out of order."""

    __slots__ = ("exited", "previous")

    def __init__(self, previous: Context) -> None:
        self.previous = previous
        self.exited = False  # left out of order: restores skip it


def enter(
    values: Mapping[str, object], base: Context | None = None, current: Context | None = None
) -> Frame:
    """Attach ``base`` (default: the current Context) updated with ``values``.

    ``current`` saves a lookup when the caller already holds the current Context.
    """
    if current is None:
        current = otel_context.get_current()
    frame = Frame(current)
    otel_context.attach(Context({**(current if base is None else base), **values, FRAME: frame}))
    return frame


def leave(frame: Frame) -> None:
    """Leave ``frame``; never raises, whatever Context or order it is left in."""
    top = otel_context.get_current().get(FRAME)
    if top is frame:
        previous = frame.previous
        below = cast(Frame | None, previous.get(FRAME))  # only scopetel writes FRAME
        otel_context.attach(previous if below is None or not below.exited else live(previous))
        return
    while isinstance(top, Frame):  # out of order here, or not in this Context at all
        if top is frame:
            frame.exited = True
            return
        top = top.previous.get(FRAME)


def live(ctx: Context) -> Context:
    """``ctx``, or the nearest Context before it whose frame was not left out of order."""
    frame = ctx.get(FRAME)
    while isinstance(frame, Frame) and frame.exited:
        ctx = frame.previous
        frame = ctx.get(FRAME)
    return ctx


# The current Context. An alias, not a wrapper: it is read on every span and scope.
current = otel_context.get_current
