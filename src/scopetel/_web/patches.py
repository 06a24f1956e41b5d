"""Patching a framework's methods when (and only if) the framework gets imported.

Importing gunicorn, uvicorn, Starlette or Django costs 0.1 to 0.2 s; an instrumentor
loaded by ``opentelemetry-instrument`` in a process that never imports them must not
pay it. :class:`ImportHook` runs the patch as soon as the module is imported (at
once if it already is); :class:`MethodPatch` replaces one method and can put it back.
"""

import functools
import inspect
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import wrapt

from scopetel._fork_safety import ForkSafeLock
from scopetel._internal_errors import report_internal_error

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


class MethodPatch:
    """``owner.name`` replaced by a function calling ``wrapper(original, self, args, kwargs)``.

    The class patched is the one of ``owner``'s MRO that defines ``name`` (a subclass
    swapped in by another instrumentor inherits the patch).
    """

    __slots__ = ("_name", "_original", "_owner")

    def __init__(self, owner: type, name: str, wrapper: Wrapper) -> None:
        owner = next(klass for klass in owner.__mro__ if name in klass.__dict__)
        original = owner.__dict__[name]
        self._owner, self._name, self._original = owner, name, original

        if inspect.iscoroutinefunction(original):
            # A stand-in taking *args would hide the coroutine function's signature from
            # callers that probe it (uvicorn calls an application with no arguments to
            # detect factories): patch those by hand, with the same parameters.
            raise TypeError(f"{owner.__name__}.{name} is a coroutine function")

        @functools.wraps(original)
        def patched(instance: Any, *args: Any, **kwargs: Any) -> Any:
            return wrapper(original.__get__(instance, owner), instance, args, kwargs)

        setattr(owner, name, patched)

    def undo(self) -> None:
        setattr(self._owner, self._name, self._original)


class ImportHook:
    """Run ``apply(module)`` once ``module_name`` is imported, while enabled."""

    def __init__(self, module_name: str, apply: Callable[[ModuleType], None]) -> None:
        self._module_name = module_name
        self._apply = apply
        self._lock = ForkSafeLock()
        self._enabled = False
        self._registered = False

    def enable(self) -> None:
        with self._lock:
            self._enabled = True
            register = not self._registered
            self._registered = True
        if register:
            wrapt.register_post_import_hook(self._on_import, self._module_name)
        else:
            module = sys.modules.get(self._module_name)
            if module is not None:
                self._on_import(module)

    def disable(self) -> None:
        with self._lock:
            self._enabled = False

    def _on_import(self, module: ModuleType) -> None:
        with self._lock:
            if not self._enabled:
                return
        try:
            self._apply(module)
        except Exception:
            report_internal_error(f"patching {self._module_name}")
