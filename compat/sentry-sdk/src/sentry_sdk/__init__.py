"""The ``sentry_sdk`` import name, provided by scopetel.

Install ``scopetel-sentry-sdk`` in place of ``sentry-sdk`` (the convention of
alternative implementations, as ``opencv-python-headless`` provides ``cv2``) and code
that says ``import sentry_sdk`` runs on scopetel unchanged:

* ``import sentry_sdk`` gives the module ``scopetel`` itself;
* ``import sentry_sdk.X.Y`` gives the module ``scopetel.X.Y``, registered under both
  names: one module object, so every API lives once, in scopetel, and
  ``import scopetel as sentry_sdk`` has exactly the same surface;
* a name scopetel does not have fails as any missing module does:
  ``ModuleNotFoundError: No module named 'sentry_sdk.X.Y'``.

This package holds no other module: nothing of the real sentry-sdk can be picked up
from here by accident. If the real ``sentry-sdk`` distribution is installed as well
(the two share this directory), one warning says so and what to do.
"""

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

import scopetel

# Type checkers and IDEs read the names from here; at run time the module is replaced.
from scopetel import *  # noqa: F403

ALIAS, TARGET = "sentry_sdk", "scopetel"
CONFLICT = (
    "both scopetel-sentry-sdk and sentry-sdk are installed; they provide the same "
    "'sentry_sdk' package and 'import sentry_sdk' now runs scopetel. Keep one: "
    "'pip uninstall sentry-sdk && pip install --force-reinstall --no-deps "
    "scopetel-sentry-sdk' (uninstalling sentry-sdk deletes the files the two share), "
    "or uninstall scopetel-sentry-sdk to go back to sentry-sdk."
)


class _AliasLoader(importlib.abc.Loader):
    """Loads ``sentry_sdk.X`` as the already importable module ``scopetel.X``."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self._target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system has just set __spec__ to the alias's spec; the module keeps its
        # own (its name, parent and origin are scopetel's), nothing else was overwritten.
        module.__spec__ = self._own_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``sentry_sdk.X`` wherever ``scopetel.X`` exists; passes on anything else."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(ALIAS + "."):
            return None
        real = TARGET + fullname[len(ALIAS) :]
        loaded = sys.modules.get(real)
        try:
            found = loaded.__spec__ if loaded is not None else importlib.util.find_spec(real)
        except ModuleNotFoundError:  # a parent of ``real`` is a module, not a package
            return None
        if found is None:
            return None  # the import system raises "No module named 'sentry_sdk.X'"
        is_package = found.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(real), origin=found.origin, is_package=is_package
        )


def _install() -> None:
    if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
    try:
        importlib.metadata.distribution("sentry-sdk")
    except importlib.metadata.PackageNotFoundError:
        pass
    else:
        warnings.warn(CONFLICT, RuntimeWarning, stacklevel=2)
    sys.modules[ALIAS] = scopetel


_install()
