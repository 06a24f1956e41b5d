"""Enter and leave Contexts without tokens, so that exits may come in any order.

``context.detach(token)`` resets a ContextVar to whatever it held at ``attach``: an
exit out of order (two generators closed the other way round) resurrects stale state,
and an exit in another ``contextvars.Context`` raises ``ValueError``. Instead every
Context that scopetel attaches carries a :class:`Frame` recording the Context it
replaced. Leaving a frame marks it exited and, if it is the one current here, attaches
the nearest earlier Context whose frame is still live. A frame left elsewhere (another
thread, out of order) only gets marked, and the next restore skips it.
"""

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry.context import Context

from scopetel._context_keys import FRAME


class Frame:
    """One attached Context: what it replaced, and whether it was left."""

    __slots__ = ("exited", "previous")

    def __init__(self, previous: Context) -> None:
        self.previous = previous
        self.exited = False


def enter(
    values: Mapping[str, object], base: Context | None = None, current: Context | None = None
) -> Frame:
    """Attach ``base`` (default: the current Context) updated with ``values``.

    ``current`` saves a lookup when the caller already holds the current Context.
    """
    if current is None:
        current = otel_context.get_current()
    frame = Frame(current)  # what leaving restores (``live`` skips exited frames)
    otel_context.attach(Context({**(current if base is None else base), **values, FRAME: frame}))
    return frame


def leave(frame: Frame) -> None:
    """Leave ``frame``; never raises, whatever Context or order it is left in."""
    frame.exited = True
    if otel_context.get_current().get(FRAME) is frame:
        otel_context.attach(live(frame.previous))


def live(ctx: Context) -> Context:
    """``ctx``, or the nearest Context before it whose frame has not been left."""
    frame = ctx.get(FRAME)
    while isinstance(frame, Frame) and frame.exited:
        ctx = frame.previous
        frame = ctx.get(FRAME)
    return ctx


def current() -> Context:
    """The current Context, skipping frames that were left in another Context."""
    ctx = otel_context.get_current()
    frame = ctx.get(FRAME)
    if isinstance(frame, Frame) and frame.exited:
        return live(ctx)
    return ctx
