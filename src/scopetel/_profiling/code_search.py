"""Live code objects by address, for the detached sampler, which only sees addresses.

The sampler's passes without the GIL dereference only code objects they were taught,
and meet codes on stacks that a pass with the GIL never sees (see ``detached``). Those
are looked for here among the functions the process can reach: every module's namespace
(functions, classes and their methods, properties, static and class methods, wrapped
functions and closures, a few levels deep), then every function the garbage collector
tracks (a callback held by an object, a function a wrapper object wraps; not those a
pre-fork server froze out of it with ``gc.freeze()``, which the module walk finds).
Each function's code is searched with the codes nested in it: comprehensions,
generator expressions, lambdas, inner functions. A search visits them all: ~50 ms of
CPU in the profiler benchmark's process (~10 000 functions), ~250 ms in a Flask
service under ``opentelemetry-instrument`` (1,600 modules), which the caller spreads
out in steps of ``STEP`` entries (~1-3 ms, during which the profiler takes no sample).
The collector's snapshot is one step of its own (~25 ms for 130,000 objects): it is
not held across steps.

No attribute that could run the application's code is read: namespaces are read
through the built-in ``__dict__`` descriptors, only built-in types' fields are
followed, and types are told by ``type()`` (``isinstance`` would ask a proxy, such as
Flask's ``request`` in a module's namespace, for its ``__class__``). An address is
compared with ``id()`` and never turned into an object.
"""

import contextlib
import functools
import gc
import sys
from collections.abc import Generator, Iterable, Iterator
from types import CodeType, FunctionType, ModuleType
from typing import Any, Final

Found = dict[int, tuple[CodeType, str | None]]
"""``id(code)`` -> the code, and the name of its function's module."""

# the built-in descriptors: a module or class overriding ``__dict__`` is not asked
_MODULE_DICT: Final[Any] = vars(ModuleType)["__dict__"]
_CLASS_DICT: Final[Any] = vars(type)["__dict__"]
_MAX_DEPTH: Final = 4  # classes in classes, closures in wrappers...
STEP: Final = 500  # entries, functions or codes between two yields of ``searching`` (~1-3 ms)


def find_codes(addresses: set[int], limit: int, modules: Iterable[str] = ()) -> Found:
    """The live code objects whose ``id`` is in ``addresses``, and the others: all of
    them when there are at most ``limit``, else every code of their modules and of
    ``modules`` (those already seen running). The codes passes meet between two passes
    with the GIL are a long tail (a transaction goes through dozens of modules): taught
    at once, not one search at a time."""
    search = searching(addresses, limit, modules)
    while True:
        try:
            next(search)
        except StopIteration as done:
            found: Found = done.value
            return found


def searching(
    addresses: set[int], limit: int, hint: Iterable[str] = ()
) -> Generator[None, None, Found]:
    """``find_codes`` in steps: it yields where the walks say a step's worth was looked
    at (``STEP`` namespace entries or functions), then every ``STEP`` codes gathered
    (the caller spreads a long search over time), and returns what it found. The
    modules are walked first, then the functions the collector tracks (most of them
    seen by then): its snapshot of every object is a step of its own, the longest
    (~25 ms for 130,000 objects)."""
    found: Found = {}
    by_module: dict[str | None, list[CodeType]] = {}
    seen: set[int] = set()  # functions, classes and codes visited
    for functions in (_module_functions, _tracked_functions):
        for function in functions(seen):  # None: a step's worth of entries looked at
            if function is None:
                yield
                continue
            module_name = module_of(function.__globals__)
            codes = by_module.setdefault(module_name, [])
            for code in _nested_codes(function.__code__, seen):
                codes.append(code)
                if id(code) in addresses:
                    found[id(code)] = (code, module_name)
    if sum(len(codes) for codes in by_module.values()) <= limit:
        modules: Iterable[str | None] = by_module
    else:
        modules = {module for _, module in found.values() if module is not None}
        modules |= {module for module in hint if module in by_module}
    assembled = 0  # up to ``limit`` codes: as long as the visit, also in steps
    for module_name in modules:
        for code in by_module[module_name]:
            found.setdefault(id(code), (code, module_name))
            assembled += 1
            if not assembled % STEP:
                yield
    return found


def modules_of_files(files: Iterable[str]) -> dict[str, list[str]]:
    """The names of the loaded modules whose ``__file__`` is each of ``files`` (a code's
    ``co_filename`` is its module's file), read without running any of their code."""
    return _MODULE_FILES.of(set(files))


class _ModuleFiles:
    """Every loaded module's file, mapped again when ``sys.modules`` changed (its size or
    its last name: an import adds at the end), a file asked for is not mapped, or a
    module mapped was replaced: an aimed search comes with a module's first sample, for
    each module a service runs, and a scan of every module each time cost ~1 ms (most
    of the aim)."""

    def __init__(self) -> None:
        self._names: dict[str, list[str]] = {}  # __file__ -> module names
        self._state: tuple[int, object] = (-1, None)  # sys.modules' when mapped

    def of(self, wanted: set[str]) -> dict[str, list[str]]:
        found = self._lookup(wanted) if self._state == _modules_state() else None
        if found is None:
            self._names, self._state = _map_files()
            found = self._lookup(wanted, partly=True) or {}
        return found

    def _lookup(self, wanted: set[str], *, partly: bool = False) -> dict[str, list[str]] | None:
        """None when a file is not mapped (unless ``partly``) or a module mapped is not
        what it was."""
        found: dict[str, list[str]] = {}
        for path in wanted:
            names = self._names.get(path)
            if names is None:
                if partly or path.startswith("<"):  # ``<string>``: code with no file
                    continue
                return None
            if any(_file_of(sys.modules.get(name)) != path for name in names):
                return None
            found[path] = list(names)
        return found


def _modules_state() -> tuple[int, object]:
    modules = sys.modules
    return len(modules), next(reversed(modules.keys()), None)


def _map_files() -> tuple[dict[str, list[str]], tuple[int, object]]:
    """The map, and the state of ``sys.modules`` it was made from."""
    snapshot = list(sys.modules.items())
    result: dict[str, list[str]] = {}
    for name, module in snapshot:
        path = _file_of(module)
        if path is not None:
            result.setdefault(path, []).append(name)
    last = snapshot[-1][0] if snapshot else None
    return result, (len(snapshot), last)


def _file_of(module: object) -> str | None:
    if not issubclass(type(module), ModuleType):
        return None
    path = dict.get(_MODULE_DICT.__get__(module), "__file__")
    return path if type(path) is str else None


_MODULE_FILES: Final = _ModuleFiles()


def module_codes(modules: Iterable[str]) -> Found:
    """Every code of these modules' functions (and of the functions nested in them): a
    search aimed at the module a code met on a stack comes from, milliseconds where the
    whole process's search takes up to seconds. What is not reachable from a module's
    namespace (code made by ``exec``) is left to that search."""
    found: Found = {}
    seen: set[int] = set()
    for function in _module_functions(seen, modules):
        if function is None:  # (a step: this search is not spread out)
            continue
        module_name = module_of(function.__globals__)
        for code in _nested_codes(function.__code__, seen):
            found[id(code)] = (code, module_name)
    return found


def module_of(namespace: dict[str, Any]) -> str | None:
    """The module name a function's globals or a frame's carry (``dict.get``: not a
    subclass's override), None when it is not a string."""
    name = dict.get(namespace, "__name__")
    return name if type(name) is str else None


def _nested_codes(code: CodeType, seen: set[int]) -> Iterator[CodeType]:
    """``code`` and the codes nested in it (comprehensions, lambdas, inner functions)
    not in ``seen`` (ids), which they are added to."""
    pending = [code]
    while pending:
        each = pending.pop()
        if id(each) not in seen:
            seen.add(id(each))
            yield each
            pending.extend(const for const in each.co_consts if type(const) is CodeType)


def _tracked_functions(seen: set[int]) -> Iterator[FunctionType | None]:
    """Every function the collector tracks, not seen yet: a step (None) before the
    snapshot, one after it, then one every ``STEP`` functions looked at (most were seen
    in the modules' walk)."""
    yield None
    # the snapshot of every object is dropped at once: kept across the search's steps,
    # it would keep alive (and delay the finalizers of) what the application drops
    functions = [each for each in gc.get_objects() if type(each) is FunctionType]
    yield None
    for looked, candidate in enumerate(functions, 1):
        if not looked % STEP:
            yield None
        if id(candidate) not in seen:
            seen.add(id(candidate))
            yield candidate


def _module_functions(
    seen: set[int], names: Iterable[str] | None = None
) -> Iterator[FunctionType | None]:
    """Functions reachable from the modules' namespaces (those named, else all), each
    once; None after every ``STEP`` namespace entries looked at (a search's step: most
    entries are not functions, or functions already seen)."""
    loaded = sys.modules
    chosen = list(loaded.values()) if names is None else [loaded.get(name) for name in names]
    pending: list[tuple[Any, int]] = []
    looked = 0
    for module in chosen:  # one namespace at a time: a large process has ~100 000 entries
        if not issubclass(type(module), ModuleType):
            continue
        pending.extend((value, 0) for value in list(_MODULE_DICT.__get__(module).values()))
        while pending:
            looked += 1
            if not looked % STEP:
                yield None
            value, depth = pending.pop()
            kind = type(value)
            if kind is FunctionType:
                if id(value) not in seen:
                    seen.add(id(value))
                    yield value
                    if depth < _MAX_DEPTH:
                        pending.extend((inner, depth + 1) for inner in _closed_over(value))
            elif kind is staticmethod or kind is classmethod:
                pending.append((value.__func__, depth))
            elif kind is property:
                pending.extend(
                    (accessor, depth) for accessor in (value.fget, value.fset, value.fdel)
                )
            elif kind is functools.partial:
                pending.append((value.func, depth))
            elif issubclass(kind, type) and depth < _MAX_DEPTH and id(value) not in seen:
                seen.add(id(value))
                pending.extend(
                    (inner, depth + 1) for inner in list(_CLASS_DICT.__get__(value).values())
                )


def _closed_over(function: FunctionType) -> list[Any]:
    """What a function wraps (``__wrapped__``) and the values of its closure's cells."""
    values = [dict.get(function.__dict__, "__wrapped__")]
    for cell in function.__closure__ or ():
        with contextlib.suppress(ValueError):  # an empty cell
            values.append(cell.cell_contents)
    return values
