"""The ``scopetel_aiohttp`` instrumentor: patches applied when aiohttp's server is imported.

* ``Application.pre_freeze`` (every application, before it serves): scopetel's
  middleware is added to its middlewares, right after contrib's
  (``opentelemetry-instrumentation-aiohttp-server``, whose server span it adopts) or
  first; contrib's runs once per request (not again in a sub-application);
* ``RequestHandler._handle_request``: the request ends once its response is written;
* aiohttp applications are claimed, so gunicorn's hook leaves them to this layer.
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

from scopetel.instrumentation import (
    ImportHook,
    MethodPatch,
    claim_app,
    current_request,
    release_app,
    report_internal_error,
    transaction_style,
)
from scopetel_instrumentation_aiohttp import middleware
from scopetel_instrumentation_aiohttp.middleware import STYLES, Settings, parse_codes

LOGGER: Final = logging.getLogger("scopetel")
APP_MODULE: Final = "aiohttp.web_app"
PROTOCOL_MODULE: Final = "aiohttp.web_protocol"
CONTRIB_MODULE: Final = "opentelemetry.instrumentation.aiohttp_server"
STYLE_VARIABLE: Final = "SCOPETEL_AIOHTTP_TRANSACTION_STYLE"


def _layer() -> Callable[..., Any]:
    """The middleware, marked as aiohttp's new-style middleware."""
    layer = middleware.scopetel_middleware
    layer.__middleware_version__ = 1  # type: ignore[attr-defined]  # what @web.middleware sets
    return layer


def _once_per_request(contrib: Callable[..., Any]) -> Callable[..., Any]:
    """Contrib's middleware, skipped inside a request already served: contrib adds it to
    sub-applications too, where it would start a second server span, a new trace."""

    async def contrib_once(request: Any, handler: Callable[..., Any]) -> Any:
        if current_request() is not None:
            return await handler(request)
        return await contrib(request, handler)

    contrib_once.__middleware_version__ = 1  # type: ignore[attr-defined]
    return contrib_once


def add_layer(app: Any) -> None:
    """Insert scopetel's middleware into ``app`` (not frozen yet), once."""
    layers = app._middlewares  # a FrozenList, still mutable before pre_freeze
    if middleware.scopetel_middleware in layers:
        return
    index = 0
    for position, layer in enumerate(layers):
        if getattr(layer, "__module__", None) == CONTRIB_MODULE:
            layers[position] = _once_per_request(layer)
            index = position + 1
    layers.insert(index, _layer())


def _pre_freeze(
    original: Callable[..., Any], app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if not getattr(app, "pre_frozen", True):
        try:
            add_layer(app)
        except Exception:
            report_internal_error("aiohttp add_layer")
    return original(*args, **kwargs)


def is_aiohttp_app(app: object) -> bool:
    module = sys.modules.get(APP_MODULE)
    return module is not None and isinstance(app, module.Application)


class _AioHttpPatches:
    def __init__(self) -> None:
        self.pre_freeze: MethodPatch | None = None
        self.handle_request: tuple[type, Any] | None = None  # (class, original)
        self.hooks = (
            ImportHook(APP_MODULE, self._apply_app),
            ImportHook(PROTOCOL_MODULE, self._apply_protocol),
        )

    def _apply_app(self, module: ModuleType) -> None:
        if self.pre_freeze is None:
            self.pre_freeze = MethodPatch(module.Application, "pre_freeze", _pre_freeze)

    def _apply_protocol(self, module: ModuleType) -> None:
        if self.handle_request is not None:
            return
        owner = module.RequestHandler
        original = owner.__dict__["_handle_request"]

        @functools.wraps(original)
        async def _handle_request(handler: Any, *args: Any) -> Any:
            return await middleware.handle_request(original, handler, *args)

        setattr(owner, "_handle_request", _handle_request)  # noqa: B010
        self.handle_request = (owner, original)

    def enable(self) -> None:
        for hook in self.hooks:
            hook.enable()

    def disable(self) -> None:
        for hook in self.hooks:
            hook.disable()
        if self.pre_freeze is not None:
            self.pre_freeze.undo()
            self.pre_freeze = None
        if self.handle_request is not None:
            owner, original = self.handle_request
            setattr(owner, "_handle_request", original)  # noqa: B010
            self.handle_request = None


def _style(given: object) -> str:
    """The style given, else ``SCOPETEL_AIOHTTP_TRANSACTION_STYLE``, else by route."""
    if given is not None:
        return transaction_style(given, STYLES)
    value = os.environ.get(STYLE_VARIABLE)
    if value is None or value in STYLES:
        return value or middleware.ROUTE
    LOGGER.warning(
        "scopetel: %s=%r is not one of %s; naming by route", STYLE_VARIABLE, value, STYLES
    )
    return middleware.ROUTE


class AioHttpInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """scopetel's layer in every aiohttp application (see the package docstring).

    ``instrument(transaction_style="handler_name")`` (or
    ``SCOPETEL_AIOHTTP_TRANSACTION_STYLE``) names transactions after the handler
    (``module.qualname``, source ``component``, sentry_sdk's default) instead of the
    route (``GET /users/{id}``, source ``route``: ``method_and_path_pattern``).
    ``instrument(failed_request_status_codes={...})``: the raised ``HTTPException``
    statuses reported as errors (default 500-599).
    """

    _patches = _AioHttpPatches()

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("aiohttp >= 3.9",)

    def _instrument(self, **kwargs: Any) -> None:
        Settings.transaction_style = _style(kwargs.get("transaction_style"))
        Settings.failed_codes = parse_codes(kwargs.get("failed_request_status_codes"))
        claim_app(is_aiohttp_app)
        self._patches.enable()

    def _uninstrument(self, **kwargs: Any) -> None:
        release_app(is_aiohttp_app)
        self._patches.disable()
        Settings.transaction_style = middleware.ROUTE
        Settings.failed_codes = middleware.DEFAULT_CODES
