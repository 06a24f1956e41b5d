"""Spans of Django signal receivers, as sentry_sdk's ``DjangoIntegration(signals_spans=True)``.

``Signal._live_receivers`` (what ``send`` asks for the receivers to call) is patched to
hand back each synchronous receiver wrapped: while a span is active, the receiver runs
in a child span (op ``event.django``, the receiver's dotted name as description and as
the ``signal`` data). Signals in the denylist, and all of them with
``signals_spans=False``, are left alone.

``request_started`` is sent by Django's WSGI handler before any middleware runs, so
before scopetel's request (and its span) begins. Its receivers' times are kept in the
handler's Context, tied to the request's environ, and the request's middleware makes
their spans when it begins (:func:`emit_early`): sentry_sdk, whose WSGI layer starts the
transaction first, shows them too.
"""

import functools
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, Final

import scopetel
from scopetel.instrumentation import MethodPatch, guarded

OP: Final = "event.django"
ORIGIN: Final = "auto.http.django"
_settings: dict[str, Any] = {"enabled": True, "denylist": ()}

Early = tuple[str, int, int]  # receiver name, start and end (ns since the epoch)
_early: ContextVar[tuple[object, list[Early]] | None] = ContextVar(
    "scopetel_django_early_receivers", default=None
)
"""The environ of the request ``request_started`` was sent for, and its receivers' times."""


def configure(enabled: bool, denylist: Iterable[Any]) -> None:
    """``signals_spans`` and ``signals_denylist`` of ``DjangoIntegration``."""
    _settings["enabled"] = bool(enabled)
    _settings["denylist"] = tuple(denylist or ())


def receiver_name(receiver: Any) -> str:
    """``module.qualname`` of a receiver (``django.db.close_old_connections``)."""
    name = getattr(receiver, "__qualname__", None) or getattr(receiver, "__name__", None)
    if not isinstance(name, str) or not name:
        inner = getattr(getattr(receiver, "func", None), "__name__", None)
        name = f"partial(<function {inner}>)" if isinstance(inner, str) else None
    if name is None:
        return str(receiver)
    module = getattr(receiver, "__module__", None)
    return f"{module}.{name}" if isinstance(module, str) else name


def _wrap(receiver: Callable[..., Any], request_started: bool) -> Callable[..., Any]:
    name = receiver_name(receiver)

    @functools.wraps(receiver)
    def traced(*args: Any, **kwargs: Any) -> Any:
        if scopetel.get_current_span() is None:
            if request_started and "environ" in kwargs:
                return _timed_early(receiver, name, kwargs["environ"], args, kwargs)
            return receiver(*args, **kwargs)
        with scopetel.start_span(op=OP, name=name, origin=ORIGIN) as span:
            span.set_data("signal", name)
            return receiver(*args, **kwargs)

    return traced


def _timed_early(
    receiver: Callable[..., Any], name: str, environ: object, args: Any, kwargs: Any
) -> Any:
    kept = _early.get()
    if kept is None or kept[0] is not environ:
        kept = (environ, [])
        _early.set(kept)
    start = time.time_ns()
    try:
        return receiver(*args, **kwargs)
    finally:
        kept[1].append((name, start, time.time_ns()))


@guarded(None)
def emit_early(environ: object) -> None:
    """Spans of the ``request_started`` receivers of the request of ``environ``, under
    the current (the request's) span; called once the request has begun."""
    kept = _early.get()
    if kept is None:
        return
    _early.set(None)
    if kept[0] is not environ:
        return
    for name, start, end in kept[1]:
        span = scopetel.start_span(op=OP, name=name, origin=ORIGIN, start_timestamp=start / 1e9)
        span.set_data("signal", name)
        span.finish(end_timestamp=end / 1e9)


def _live_receivers(
    original: Callable[..., Any], signal: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    found = original(*args, **kwargs)
    if not _settings["enabled"] or any(signal is denied for denied in _settings["denylist"]):
        return found
    try:
        from django.core.signals import request_started  # type: ignore[import-untyped]

        early = signal is request_started
        if isinstance(found, tuple):  # Django 5: (sync receivers, async receivers)
            sync, asynchronous = found
            return [_wrap(receiver, early) for receiver in sync], asynchronous
        return [_wrap(receiver, early) for receiver in found]
    except Exception:
        return found


def patch_signals() -> MethodPatch:
    """Patch ``Signal._live_receivers``; ``undo()`` the returned patch to restore it."""
    from django.dispatch import Signal  # type: ignore[import-untyped]

    return MethodPatch(Signal, "_live_receivers", _live_receivers)
