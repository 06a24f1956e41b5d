"""The ``scopetel_django`` instrumentor.

Nothing of Django is imported until the application imports it. Then:

* ``BaseHandler.load_middleware`` makes sure ``ScopetelMiddleware`` is in
  ``settings.MIDDLEWARE`` (right after contrib's middleware, else first) when a handler
  builds its middleware chain, so settings configured late are fine;
* ``got_request_exception`` reports the errors Django turns into 500 responses;
* signal receivers run in spans of their own (``signals``), unless
  ``instrument(signals_spans=False)``; ``signals_denylist`` names signals left alone;
* Django's handlers are claimed, so server hooks do not wrap them again;
* Django Channels consumers (when ``channels`` is imported) get an isolation scope per
  connection and a fork of it per message (``channels``).
"""

import sys
from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any, Final

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from scopetel.instrumentation import (
    ImportHook,
    MethodPatch,
    ServerRequest,
    claim_app,
    current_request,
    guarded,
    release_app,
    report_internal_error,
    transaction_style,
)
from scopetel_instrumentation_django import channels, signals
from scopetel_instrumentation_django.middleware import REQUEST_ATTRIBUTE, set_transaction_style

MIDDLEWARE: Final = "scopetel_instrumentation_django.middleware.ScopetelMiddleware"
CONTRIB_MIDDLEWARE: Final = (
    "opentelemetry.instrumentation.django.middleware.otel_middleware._DjangoMiddleware"
)
_HANDLERS_MODULE: Final = "django.core.handlers.base"


def ensure_middleware() -> None:
    """Insert scopetel's middleware into ``settings.MIDDLEWARE`` (once)."""
    from django.conf import settings  # type: ignore[import-untyped]

    current = list(getattr(settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE in current:
        return
    index = current.index(CONTRIB_MIDDLEWARE) + 1 if CONTRIB_MIDDLEWARE in current else 0
    current.insert(index, MIDDLEWARE)
    settings.MIDDLEWARE = current


def _load_middleware(
    original: Callable[..., Any], handler: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    try:
        ensure_middleware()
    except Exception:
        report_internal_error("django ensure_middleware")
    return original(*args, **kwargs)


@guarded(None)
def _on_request_exception(sender: object, request: object = None, **kwargs: Any) -> None:
    error = sys.exc_info()[1]
    if error is None:
        return
    state = getattr(request, REQUEST_ATTRIBUTE, None)
    if not isinstance(state, ServerRequest):
        state = current_request()
    if state is not None:
        state.capture_exception(error)


def is_django_handler(app: object) -> bool:
    base = sys.modules.get(_HANDLERS_MODULE)
    return base is not None and isinstance(app, base.BaseHandler)


class _DjangoPatches:
    """What the instrumentor changes in Django, applied when Django is imported."""

    def __init__(self) -> None:
        self.hook = ImportHook(_HANDLERS_MODULE, self.apply)
        self.channels_hook = ImportHook(channels.MODULE, channels.patch)
        self.patch: MethodPatch | None = None
        self.signals_patch: MethodPatch | None = None
        self.signal: Any = None

    def apply(self, module: ModuleType) -> None:
        if self.patch is None:
            self.patch = MethodPatch(module.BaseHandler, "load_middleware", _load_middleware)
        if self.signals_patch is None:
            self.signals_patch = signals.patch_signals()
        if self.signal is None:
            from django.core.signals import got_request_exception  # type: ignore[import-untyped]

            got_request_exception.connect(_on_request_exception, dispatch_uid=__name__)
            self.signal = got_request_exception

    def enable(self) -> None:
        self.hook.enable()
        self.channels_hook.enable()

    def undo(self) -> None:
        self.hook.disable()
        self.channels_hook.disable()
        consumers = sys.modules.get(channels.MODULE)
        if consumers is not None:
            channels.unpatch(consumers)
        for patch in (self.patch, self.signals_patch):
            if patch is not None:
                patch.undo()
        self.patch = self.signals_patch = None
        if self.signal is not None:
            self.signal.disconnect(dispatch_uid=__name__)
            self.signal = None
        _remove_middleware()


class DjangoInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Streaming responses, per-request scopes, route names and request data for Django.

    ``instrument(transaction_style="function_name")`` names transactions after the view
    (``module.qualname``, source ``component``) instead of the URL pattern (``url``).
    ``signals_spans=False`` makes no spans of signal receivers; ``signals_denylist``: the
    signals (``django.dispatch.Signal`` objects) whose receivers get none.
    """

    _patches = _DjangoPatches()

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("django >= 4.2",)

    def _instrument(self, **kwargs: Any) -> None:
        style = kwargs.get("transaction_style", "url")
        set_transaction_style(transaction_style(style, ("url", "function_name")))
        signals.configure(kwargs.get("signals_spans", True), kwargs.get("signals_denylist", ()))
        claim_app(is_django_handler)
        self._patches.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        set_transaction_style("url")
        signals.configure(True, ())
        release_app(is_django_handler)
        self._patches.undo()


def _remove_middleware() -> None:
    settings_module = sys.modules.get("django.conf")
    if settings_module is None:
        return
    settings = settings_module.settings
    if settings.configured and MIDDLEWARE in (getattr(settings, "MIDDLEWARE", None) or []):
        settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if path != MIDDLEWARE]
