"""The ``scopetel_flask`` instrumentor: applied when Flask is imported.

* ``Flask.wsgi_app`` serves each request through scopetel's WSGI layer (origin
  ``auto.http.flask``, mechanism ``flask``) unless a scopetel layer already serves it, so
  Flask applications get per-request isolation under any server; Flask applications are
  claimed, so server hooks (gunicorn) do not wrap them again;
* Flask's signals name the transaction, report unhandled view errors and read the
  Flask-Login user (``requests``).

``instrument(transaction_style="endpoint")`` (or ``SCOPETEL_FLASK_TRANSACTION_STYLE``)
names transactions by endpoint, as sentry_sdk does by default; ``"url"`` (the default)
by url rule.
"""

import functools
import logging
import os
import sys
from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)
from scopetel_instrumentation_wsgi import ScopetelWSGIMiddleware

from scopetel.instrumentation import (
    ImportHook,
    MethodPatch,
    claim_app,
    current_request,
    release_app,
    report_internal_error,
)
from scopetel_instrumentation_flask.requests import (
    STYLES,
    URL,
    Naming,
    on_request_exception,
    on_request_finished,
    on_request_started,
)

LOGGER: Final = logging.getLogger("scopetel")
MODULE: Final = "flask.app"
STYLE_VARIABLE: Final = "SCOPETEL_FLASK_TRANSACTION_STYLE"
ORIGIN: Final = "auto.http.flask"
_LAYER: Final = "_scopetel_layer"


def is_flask_app(app: object) -> bool:
    module = sys.modules.get(MODULE)
    return module is not None and isinstance(app, module.Flask)


def _wsgi_app(
    original: Callable[..., Any], app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``Flask.wsgi_app`` through scopetel's WSGI layer (once per request)."""
    if current_request() is not None:
        return original(*args, **kwargs)
    try:
        layer = app.__dict__.get(_LAYER)
        if layer is None:
            unbound = original.__func__  # type: ignore[attr-defined]
            layer = ScopetelWSGIMiddleware(
                functools.partial(unbound, app), origin=ORIGIN, mechanism="flask"
            )
            app.__dict__[_LAYER] = layer
    except Exception:
        report_internal_error("flask wsgi_app")
        return original(*args, **kwargs)
    return layer(*args, **kwargs)


def transaction_style(given: object) -> str:
    """The style given, else ``SCOPETEL_FLASK_TRANSACTION_STYLE``, else ``url``."""
    for value, origin in ((given, "transaction_style"), (os.environ.get(STYLE_VARIABLE), None)):
        if value is None:
            continue
        if value in STYLES:
            return str(value)
        if origin is not None:
            raise ValueError(f"transaction_style must be one of {STYLES}, got {value!r}")
        LOGGER.warning("scopetel: %s=%r is not one of %s; using url", STYLE_VARIABLE, value, STYLES)
    return URL


class _FlaskPatches:
    def __init__(self) -> None:
        self.hook = ImportHook(MODULE, self.apply)
        self.patch: MethodPatch | None = None
        self.signals: list[tuple[Any, Callable[..., None]]] = []

    def apply(self, module: ModuleType) -> None:
        if self.patch is None:
            self.patch = MethodPatch(module.Flask, "wsgi_app", _wsgi_app)
        if not self.signals:
            from flask import signals

            for signal, handler in (
                (signals.request_started, on_request_started),
                (signals.got_request_exception, on_request_exception),
                (signals.request_finished, on_request_finished),
            ):
                signal.connect(handler, weak=False)
                self.signals.append((signal, handler))

    def undo(self) -> None:
        self.hook.disable()
        if self.patch is not None:
            self.patch.undo()
            self.patch = None
        for signal, handler in self.signals:
            signal.disconnect(handler)
        self.signals.clear()


class FlaskInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Route or endpoint names, unhandled view errors, the Flask-Login user, per-request
    isolation under any server; see the module docstring."""

    _patches = _FlaskPatches()

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("flask >= 2.2",)

    def _instrument(self, **kwargs: Any) -> None:
        Naming.style = transaction_style(kwargs.get("transaction_style"))
        claim_app(is_flask_app)
        self._patches.hook.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        release_app(is_flask_app)
        self._patches.undo()
