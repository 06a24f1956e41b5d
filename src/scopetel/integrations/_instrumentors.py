"""Enabling the OpenTelemetry instrumentor behind an integration, with its options.

A target is an ``opentelemetry_instrumentor`` entry point name (``"scopetel_logging"``,
``"flask"``) or ``"module:Class"``. Instrumentors are imported only here, when an
integration is set up: importing scopetel never imports an instrumentor distribution.

Rules, per ``init()`` (see :func:`begin`):

* a target named in ``disabled_integrations`` or ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
  is left alone;
* integrations sharing an instrumentor (Starlette and FastAPI): the first one set up
  configures it (integrations given to ``init()`` come before the defaults);
* an instrumentor already active is left as it is, unless the integration's options
  differ from those it was last given here: then it is instrumented again with them
  (the active client's integrations win; options left at sentry_sdk's defaults are
  not passed, so the instrumentor's own settings apply to them);
* under ``opentelemetry-instrument`` OpenTelemetry has loaded what it loads: an
  integration only re-instruments to apply options it was given;
* contrib instrumentations get the entry-span tracer provider (``_entry_spans``).
"""

import importlib
import logging
import sys
import threading
from collections.abc import Iterable, Mapping
from importlib.metadata import entry_points
from typing import Any, Final

import wrapt
from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

from scopetel._fork_safety import ForkSafeLock
from scopetel._internal_errors import report_internal_error
from scopetel.integrations._entry_spans import ENTRY_SPAN_PROVIDER

LOGGER: Final = logging.getLogger("scopetel")
GROUP: Final = "opentelemetry_instrumentor"

_lock = ForkSafeLock()
_disabled: frozenset[str] = frozenset()
_hands_off = False
_first_by_us: set[str] = set()  # targets an integration instrumented first
_applied: dict[str, dict[str, Any]] = {}  # the options each target was last given here
_this_init: set[str] = set()  # targets an integration of the current init() enabled
# targets waiting for their library: options, hooks
_waiting: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}


def begin(disabled: Iterable[str], *, hands_off: bool) -> None:
    """Settings for the integrations set up by one ``init()``."""
    global _disabled, _hands_off
    _disabled = frozenset(disabled)
    _hands_off = hands_off
    _this_init.clear()


def instrument(
    target: str,
    *,
    when_imported: str | None = None,
    hooks: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> bool:
    """Enable ``target`` with ``kwargs`` (see the module docstring); whether it is active.

    False, with a debug line, when it is disabled, not installed, or its library is
    missing or of an unsupported version. ``when_imported``: the library's module; until
    the application imports it, nothing is imported (the instrumentor would import the
    library: seconds of start-up for libraries installed but unused), and the latest
    options given are applied then. ``hooks``: scopetel's own instrumentor arguments
    (``request_hook`` …), given whenever this call instruments, never a reason to
    instrument again.
    """
    if when_imported is not None and when_imported not in sys.modules:
        if target in _disabled:
            return False
        with _lock:
            first = target not in _waiting
            _waiting[target] = (dict(kwargs), dict(hooks or {}))
        if first:
            wrapt.register_post_import_hook(lambda _: _on_import(target), when_imported)
        return True
    if target in _disabled:
        LOGGER.debug("scopetel: %s is disabled", target)
        return False
    instrumentor = _load(target)
    if instrumentor is None:
        return False
    conflict = get_dependency_conflicts(instrumentor.instrumentation_dependencies())
    if conflict is not None:
        LOGGER.debug("scopetel: %s not enabled: %s", target, conflict)
        return False
    with _lock:
        active = instrumentor.is_instrumented_by_opentelemetry
        if active and target in _this_init:
            if kwargs != _applied.get(target, {}):
                LOGGER.debug("scopetel: %s already configured by another integration", target)
            return True
        _this_init.add(target)
        if active and kwargs == _applied.get(target, {}):
            return True  # as this integration wants it (or as OpenTelemetry loaded it)
        if not active and _hands_off and not kwargs:
            LOGGER.debug("scopetel: %s left to opentelemetry-instrument", target)
            return False
        if not active:
            _first_by_us.add(target)
        _applied[target] = dict(kwargs)
        if target in _first_by_us and not target.startswith("scopetel"):
            kwargs.setdefault("tracer_provider", ENTRY_SPAN_PROVIDER)
        for name, hook in (hooks or {}).items():
            kwargs.setdefault(name, hook)
        if active:
            instrumentor.uninstrument()
        instrumentor.instrument(**kwargs)
    return True


def _on_import(target: str) -> None:
    """The library of a waiting target was imported: instrument it with its options.

    When the library was imported by the instrumentation module itself (its import is
    still running in this thread), a helper thread instruments it: importing the module
    there waits for this import to finish.
    """
    module_name = _module_of(target)
    module = sys.modules.get(module_name) if module_name else None
    if module is not None and getattr(module.__spec__, "_initializing", False):
        after = threading.Thread(target=_after_import, args=(module_name, target), daemon=True)
        after.start()
        return
    with _lock:
        waiting = _waiting.pop(target, None)
    if waiting is None or target in _disabled:
        return
    kwargs, hooks = waiting
    try:
        instrument(target, hooks=hooks, **kwargs)
    except Exception:
        report_internal_error(f"instrumenting {target}")


def _after_import(module_name: str, target: str) -> None:
    """In a helper thread: wait until ``module_name`` is imported, then instrument."""
    try:
        importlib.import_module(module_name)  # blocks while another thread imports it
    except Exception:
        LOGGER.debug("scopetel: %s could not be imported", module_name)
        return
    _on_import(target)


def _module_of(target: str) -> str | None:
    """The module that defines the instrumentor of ``target``."""
    if ":" in target:
        return target.partition(":")[0]
    for entry_point in entry_points(group=GROUP, name=target):
        return entry_point.value.partition(":")[0]
    return None


def _load(target: str) -> Any:
    """The instrumentor object of ``target``, or None (with a debug line)."""
    try:
        if ":" in target:
            module_name, _, class_name = target.partition(":")
            return getattr(importlib.import_module(module_name), class_name)()
        for entry_point in entry_points(group=GROUP, name=target):
            return entry_point.load()()
    except ImportError as error:
        LOGGER.debug("scopetel: %s is not available (%s)", target, error)
        return None
    LOGGER.debug("scopetel: no instrumentor %s is installed", target)
    return None
