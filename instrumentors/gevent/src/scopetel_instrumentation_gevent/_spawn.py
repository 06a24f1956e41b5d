"""The spawn callback: a starting greenlet gets a copy of its spawner's Context.

gevent calls spawn callbacks from ``Greenlet.start()``/``start_later()`` in the
spawning greenlet, before the new greenlet first runs: the right moment to give it a
``gr_context``. The copy has forked isolation and current scopes made current (the
copy is the greenlet's own for its whole life, so nothing is ever left).
"""

import contextvars
from typing import Any

import scopetel
from scopetel.instrumentation import report_internal_error


def _enter_forks() -> None:
    scopetel.isolation_scope().__enter__()


def on_spawn(greenlet: Any) -> None:
    """Give ``greenlet`` (not started yet) a forked copy of the current Context."""
    try:
        if getattr(greenlet, "gr_context", None) is not None:
            return  # someone chose its Context already
        ctx = contextvars.copy_context()
        ctx.run(_enter_forks)
        greenlet.gr_context = ctx
    except Exception:
        report_internal_error("gevent spawn callback")


def add_spawn_callback() -> None:
    import gevent  # type: ignore[import-untyped]  # only once the application imported it

    gevent.Greenlet.add_spawn_callback(on_spawn)  # a set: adding twice keeps one


def remove_spawn_callback() -> None:
    import gevent

    gevent.Greenlet.remove_spawn_callback(on_spawn)
