"""Which scopes are current: values in the OpenTelemetry Context, never mutable globals.

The global scope is one per process. Outside any ``isolation_scope()`` the isolation
and current scopes are process-wide defaults too (like a plain script with sentry_sdk);
web, thread and task instrumentation fork them per unit of work.

A span's ``with`` block and ``isolation_scope()`` fork the current scope *on first read*:
the Context they attach holds, under the current-scope key, their entry
(:class:`ForkOnRead`), which makes the fork from the Context it was entered in the first
time anyone asks for the current scope there. Most spans never read theirs, and a fork
is the largest part of entering one. Writes made to the outer scope before that first
read show in the fork (as in sentry_sdk, where a span does not fork the scope at all).
"""

import threading
from types import TracebackType
from typing import Final, cast

from opentelemetry.context import Context

from scopetel._coerce import dropped
from scopetel._context import entries, runtime
from scopetel._context.keys import CURRENT_SCOPE, ENTRY, ISOLATION_SCOPE
from scopetel._context.scope import Scope
from scopetel._fork_safety import call_in_child

GLOBAL_SCOPE: Final = Scope("global")
_DEFAULT_ISOLATION: Final = Scope("isolation")
_DEFAULT_CURRENT: Final = Scope("current")
LEFT: Final = entries.Entry(Context())
"""The ``_entry`` of a ``with`` block (a span, a scope block) that was entered and left."""
# A forked child (a pre-fork server's worker) does not show what its parent did before
# the fork: breadcrumbs recorded outside any isolation scope stay with the parent.
call_in_child(_DEFAULT_ISOLATION.clear_breadcrumbs)


def get_global_scope() -> Scope:
    """The process-wide scope; applied to every event first."""
    return GLOBAL_SCOPE


def get_isolation_scope() -> Scope:
    """The scope of the current request, job or unit of work."""
    # only scopetel writes this key: its value is a Scope (or absent)
    return cast(Scope, runtime.get_current().get(ISOLATION_SCOPE) or _DEFAULT_ISOLATION)


def get_current_scope() -> Scope:
    """The scope of the current span or ``new_scope()`` block."""
    return current_scope_in(runtime.get_current())


def isolation_scope_in(ctx: Context) -> Scope:
    """The isolation scope of ``ctx`` (the process-wide one outside any block)."""
    scope = ctx.get(ISOLATION_SCOPE)
    return scope if isinstance(scope, Scope) else _DEFAULT_ISOLATION


def current_scope_in(ctx: Context) -> Scope:
    """The current scope of ``ctx`` (for callers already holding the current Context)."""
    scope = ctx.get(CURRENT_SCOPE)
    if type(scope) is Scope:
        return scope
    if isinstance(scope, ForkOnRead):
        return scope.forked_scope()
    return scope if isinstance(scope, Scope) else _DEFAULT_CURRENT


_FORKING: Final = threading.Lock()


class ForkOnRead(entries.Entry):
    """An entry that stands, in the Context it attached, for a fork of the current scope
    of the Context it was entered in (``previous``), made when first read.

    ``_fork`` is left unset until the fork is made: one store fewer per span.
    """

    __slots__ = ("_fork",)
    _fork: Scope

    def forked_scope(self) -> Scope:
        try:
            return self._fork
        except AttributeError:
            pass
        made = self._new_fork(current_scope_in(self.previous))  # (outer ones first)
        with _FORKING:  # two threads reading at once get the same fork
            try:
                return self._fork
            except AttributeError:
                self._fork = made
        return made

    def _new_fork(self, scope: Scope) -> Scope:
        return scope.fork()


class _ScopeBlock(ForkOnRead):
    """``with`` block that makes forked (or given) scopes current for its duration.

    The forks are made from the Context the block is entered in: the scope it returns on
    entry, the other one (``isolation_scope()``'s current scope) when first read. The block is
    its own :class:`~scopetel._context.entries.Entry` the first time it is entered (one
    object fewer per block); a block entered again gets a separate entry each time.
    """

    __slots__ = ("_entry", "_isolation", "_outer", "_scope")

    def __init__(self, scope: Scope | None, isolation: Scope | bool) -> None:
        self._scope = scope  # None: fork the current scope on entry
        self._isolation = isolation  # True: fork on entry; False: keep; a Scope: use it
        self._entry: entries.Entry | None = None  # None: never entered; LEFT: left
        self._outer: list[entries.Entry] | None = None  # entries of enclosing entries

    def __enter__(self) -> Scope:
        # The hot path of every request and task: one Context lookup, one attach.
        ctx = runtime.get_current()
        entry = self._entry
        if entry is None:  # the first entry: the block is the entry
            self.previous, self.exited = ctx, False
            entry = self._entry = self
        else:  # entered again: Contexts copied inside an earlier entry keep that one
            if entry is not LEFT:
                self._outer = [*(self._outer or ()), entry]
            entry = self._entry = entries.Entry(ctx)
        values = ctx.copy()  # a plain dict: filled faster than a dict display
        values[ENTRY] = entry
        isolation = self._isolation
        if isolation is False:  # new_scope(), use_scope(): the current scope is returned
            current = self._scope
            if current is None:
                outer = ctx.get(CURRENT_SCOPE, _DEFAULT_CURRENT)
                current = (outer if type(outer) is Scope else current_scope_in(ctx)).fork()
            values[CURRENT_SCOPE] = current
            runtime.attach(Context(values))
            return current
        # isolation_scope(): the current scope is forked when read (the first entry only)
        values[CURRENT_SCOPE] = self if entry is self else current_scope_in(ctx).fork()
        if isolation is True:
            isolation = cast(Scope, ctx.get(ISOLATION_SCOPE) or _DEFAULT_ISOLATION).fork()
        values[ISOLATION_SCOPE] = isolation
        runtime.attach(Context(values))
        return isolation

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        entry = self._entry
        if entry is None or entry is LEFT:
            return
        outer = self._outer
        self._entry = outer.pop() if outer else LEFT
        entries.leave(entry)


def new_scope() -> _ScopeBlock:
    """Fork the current scope for a ``with`` block; yields the fork."""
    return _ScopeBlock(None, False)


def use_scope(scope: Scope) -> _ScopeBlock:
    """Make an existing scope current for a ``with`` block (a fork, if not given a Scope)."""
    given: object = scope  # callers pass whatever they got
    if not isinstance(given, Scope):
        dropped("use_scope", given, "needs a Scope; a fork of the current scope is used:")
        return _ScopeBlock(None, False)
    return _ScopeBlock(given, False)


def isolation_scope() -> _ScopeBlock:
    """Fork the isolation (and current) scope for a ``with`` block; yields the isolation scope."""
    return _ScopeBlock(None, True)


def use_isolation_scope(scope: Scope) -> _ScopeBlock:
    """Make an existing isolation scope current (with a fork of the current scope)."""
    given: object = scope  # callers pass whatever they got
    if not isinstance(given, Scope):
        dropped("use_isolation_scope", given, "needs a Scope; a fork is used:")
        return _ScopeBlock(None, True)
    return _ScopeBlock(None, given)
