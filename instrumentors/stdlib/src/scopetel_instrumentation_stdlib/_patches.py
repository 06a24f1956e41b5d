"""Replace attributes of classes and modules, and put the originals back exactly.

``Patches.replace`` remembers what the owner itself held (its own ``__dict__`` entry,
or nothing when the attribute was inherited), so ``restore`` leaves the owner as it was:
the same function object, or no own attribute at all.
"""

from collections.abc import Callable
from typing import Any, Final

_MISSING: Final = object()


class Patches:
    """The attributes one instrumentor replaced, restored last-in first-out."""

    def __init__(self) -> None:
        self._saved: list[tuple[object, str, object]] = []

    def replace(self, owner: object, name: str, make: Callable[[Any], object]) -> object:
        """Set ``owner.name`` to ``make(current value)``; the replacement."""
        own = vars(owner).get(name, _MISSING)
        replacement = make(getattr(owner, name))
        setattr(owner, name, replacement)
        self._saved.append((owner, name, own))
        return replacement

    def restore(self) -> None:
        while self._saved:
            owner, name, own = self._saved.pop()
            if own is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, own)

    def __bool__(self) -> bool:
        return bool(self._saved)


class Hook:
    """A process-wide hook (``sys.excepthook``, the log record factory …) we chain into.

    Someone may install their own hook after ours, wrapping ours. Uninstalling then
    cannot unwrap theirs: ours is switched off (``active`` False: a pass-through to
    ``previous``) and theirs stays. When ours is still the installed one, the previous
    hook is put back, the very same object.
    """

    def __init__(self, get: Callable[[], Any], set_: Callable[[Any], object]) -> None:
        self._get = get
        self._set = set_
        self.previous: Any = get()
        self.active = False
        self._ours: object = None

    def install(self, ours: object) -> None:
        self._ours = ours
        self.active = True
        self._set(ours)

    def uninstall(self) -> None:
        self.active = False
        if self._ours is not None and self._get() is self._ours:
            self._set(self.previous)
