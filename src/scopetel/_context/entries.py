"""Enter and leave Contexts without tokens, so that exits may come in any order.

``context.detach(token)`` resets a ContextVar to whatever it held at ``attach``: an
exit out of order (two generators closed the other way round) resurrects stale state,
and an exit in another ``contextvars.Context`` raises ``ValueError``. Instead every
Context that scopetel attaches carries an :class:`Entry` recording the Context it
replaced. Leaving the entry that is current here attaches that earlier Context again.
Leaving an entry that is *below* the current one (out of order) marks it, and the
restore that later reaches it skips it. Leaving an entry that is not in this Context's
chain at all (another thread) changes nothing here.

An entry left in-order is never marked: tasks and threads that copied the Context
inside the entry (a background task outliving its request) keep seeing it.
"""

from collections.abc import Mapping

from opentelemetry.context import Context

from scopetel._context import runtime
from scopetel._context.keys import ENTRY


class Entry:
    """One attached Context: what it replaced, and whether it was left out of order."""

    __slots__ = ("exited", "previous")

    def __init__(self, previous: Context) -> None:
        self.previous = previous
        self.exited = False  # left out of order: restores skip it


def enter(
    values: Mapping[str, object], base: Context | None = None, current: Context | None = None
) -> Entry:
    """Attach ``base`` (default: the current Context) updated with ``values``.

    ``current`` saves a lookup when the caller already holds the current Context.
    """
    if current is None:
        current = runtime.get_current()
    entry = Entry(current)
    runtime.attach(Context({**(current if base is None else base), **values, ENTRY: entry}))
    return entry


def leave(entry: Entry) -> None:
    """Leave ``entry``; never raises, whatever Context or order it is left in."""
    top = runtime.get_current().get(ENTRY)
    if top is entry:
        previous = entry.previous
        below: Entry | None = previous.get(ENTRY)  # type: ignore[assignment]  # ours only
        runtime.attach(previous if below is None or not below.exited else live(previous))
        return
    while isinstance(top, Entry):  # out of order here, or not in this Context at all
        if top is entry:
            entry.exited = True
            return
        top = top.previous.get(ENTRY)


def leave_innermost(entered: list[Entry]) -> None:
    """Leave (and remove from ``entered``) the entry of a block entered several times that
    is nearest the top of this Context's chain; none of them in it (they were entered in
    another thread or task): nothing to leave here."""
    entry = runtime.get_current().get(ENTRY)
    while isinstance(entry, Entry):
        if any(entry is candidate for candidate in entered):
            entered.remove(entry)
            leave(entry)
            return
        entry = entry.previous.get(ENTRY)


def live(ctx: Context) -> Context:
    """``ctx``, or the nearest Context before it whose entry was not left out of order."""
    entry = ctx.get(ENTRY)
    while isinstance(entry, Entry) and entry.exited:
        ctx = entry.previous
        entry = ctx.get(ENTRY)
    return ctx


# The current Context. An alias, not a wrapper: it is read on every span and scope.
current = runtime.get_current
