"""``CallHook``: an application class's ``__call__`` wrapped once its module is imported.

``__call__`` is replaced by hand rather than with ``scopetel.instrumentation.MethodPatch``
because it is a coroutine function whose parameters servers probe (uvicorn calls an
application with no arguments to detect factories): the wrapper keeps them.
"""

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from scopetel.instrumentation import ImportHook

Call = Callable[..., Awaitable[None]]


class CallHook:
    """Replaces ``__call__`` of ``module.class_name`` by ``wrap(original)`` once the module
    is imported; ``disable`` puts the original back.

    ``inherited``: the class of the MRO that defines ``__call__`` is patched (a subclass
    another instrumentor swapped in under the same name inherits the patch); otherwise
    only a ``__call__`` the class defines itself is.
    """

    def __init__(
        self, module: str, class_name: str, wrap: Callable[[Call], Call], *, inherited: bool
    ) -> None:
        self._class_name = class_name
        self._wrap = wrap
        self._inherited = inherited
        self._patched: tuple[type, Any] | None = None  # (class, original __call__)
        self._hook = ImportHook(module, self._apply)

    def _apply(self, module: ModuleType) -> None:
        klass = getattr(module, self._class_name, None)
        if self._patched is not None or not isinstance(klass, type):
            return
        if self._inherited:
            klass = next(k for k in klass.__mro__ if "__call__" in k.__dict__)
        original = klass.__dict__.get("__call__")
        if original is not None:
            setattr(klass, "__call__", self._wrap(original))  # noqa: B010
            self._patched = (klass, original)

    def enable(self) -> None:
        self._hook.enable()

    def disable(self) -> None:
        self._hook.disable()
        if self._patched is not None:
            owner, original = self._patched
            setattr(owner, "__call__", original)  # noqa: B010
            self._patched = None
