"""The detached sampler's codes, found by address among the functions a process can
reach, without running any of the application's code."""

import functools
import gc
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scopetel._profiling import code_search
from scopetel._profiling.code_search import find_codes, module_codes, modules_of_files


def decorated(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        return function(*args)

    return wrapper


def closed_over(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any) -> Any:  # no __wrapped__: only the closure names it
        return function(*args)

    return wrapper


@decorated
def decorated_view() -> list[int]:
    return [number * 2 for number in range(3)]


class Service:
    @staticmethod
    def static() -> None:
        pass

    @property
    def prop(self) -> int:
        return 1

    class Inner:
        def method(self) -> None:
            pass


def comprehension_code() -> types.CodeType:
    inner = decorated_view.__wrapped__.__code__  # type: ignore[attr-defined]
    (code,) = [c for c in inner.co_consts if isinstance(c, types.CodeType)]
    return code


def test_nested_wrapped_and_class_codes_are_found_with_their_module() -> None:
    wanted = {
        comprehension_code(),
        Service.static.__code__,
        Service.prop.fget.__code__,  # type: ignore[attr-defined]
        Service.Inner.method.__code__,
    }
    found = find_codes({id(code) for code in wanted}, limit=10)
    for code in wanted:
        assert found[id(code)] == (code, __name__)


def test_a_search_teaches_the_rest_of_the_process_or_of_the_modules() -> None:
    target = Service.static.__code__
    everything = find_codes({id(target)}, limit=10**9)
    assert len(everything) > 1000  # every code reachable
    assert id(find_codes.__code__) in everything
    modules_only = find_codes({id(target)}, limit=10)
    assert {module for _, module in modules_only.values()} == {__name__}


@pytest.fixture
def frozen() -> Iterator[None]:
    gc.freeze()  # as a pre-fork server does: gc.get_objects() no longer lists them
    try:
        yield
    finally:
        gc.unfreeze()


def test_functions_frozen_out_of_the_collector_are_found_from_modules(frozen: None) -> None:
    assert not any(obj is Service.static for obj in gc.get_objects())
    code = Service.Inner.method.__code__
    assert find_codes({id(code)}, limit=10)[id(code)][0] is code


def test_a_function_only_a_closure_names_is_found_through_it() -> None:
    namespace: dict[str, Any] = {}
    exec("def hidden():\n    return 1\n", namespace)
    holder = types.ModuleType("scopetel_test_holder")
    holder.view = closed_over(namespace.pop("hidden"))  # type: ignore[attr-defined]
    code = holder.view.__closure__[0].cell_contents.__code__  # type: ignore[attr-defined]
    sys.modules[holder.__name__] = holder
    try:
        with _frozen_collector():
            assert find_codes({id(code)}, limit=10)[id(code)][0] is code
    finally:
        del sys.modules[holder.__name__]


class _Trap(types.ModuleType):
    def __getattribute__(self, name: str) -> Any:
        raise AssertionError(f"the search read {name!r} through the module's own code")


class _Proxy:
    @property
    def __class__(self) -> Any:  # type: ignore[override]
        raise AssertionError("the search asked a proxy for its class")

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the search read {name!r} from a proxy")


class _Meta(type):
    def __getattribute__(cls, name: str) -> Any:
        raise AssertionError(f"the search read {name!r} through the class's own code")


def test_no_application_code_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    trap = _Trap("scopetel_test_trap")
    namespace = vars(types.ModuleType)["__dict__"].__get__(trap)
    namespace["Hostile"] = _Meta("Hostile", (), {"method": lambda self: None})
    namespace["request"] = _Proxy()  # as Flask's, in a module's namespace
    monkeypatch.setitem(sys.modules, "scopetel_test_trap", trap)
    monkeypatch.setitem(sys.modules, "scopetel_test_not_a_module", _Proxy())
    target = Service.static.__code__
    assert id(target) in find_codes({id(target), 1, 2}, limit=10)


def test_addresses_of_nothing_find_nothing() -> None:
    found = find_codes({1, 2, id(object())}, limit=10)
    assert not {1, 2} & found.keys()


class _frozen_collector:
    def __enter__(self) -> None:
        gc.freeze()

    def __exit__(self, *exc: object) -> None:
        gc.unfreeze()


def test_a_modules_codes_are_found_from_its_file(tmp_path: Any) -> None:
    """The search aimed at one module: its file names it among those loaded, and every
    code of its functions, methods and what they nest is taught."""
    source = (
        "def outer():\n"
        "    def inner():\n"
        "        return [n for n in range(3)]\n"
        "    return inner\n"
        "class Handler:\n"
        "    def get(self):\n"
        "        return 1\n"
    )
    path = tmp_path / "aimed_module.py"
    path.write_text(source)
    sys.path.insert(0, str(tmp_path))
    try:
        import aimed_module  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path))
    try:
        file = aimed_module.outer.__code__.co_filename
        assert modules_of_files({file, "/nowhere.py"}) == {file: ["aimed_module"]}
        found = module_codes(["aimed_module"])
        inner = aimed_module.outer()
        nested = next(c for c in inner.__code__.co_consts if isinstance(c, types.CodeType))
        for code in (aimed_module.outer.__code__, inner.__code__, nested):
            assert found[id(code)] == (code, "aimed_module")
        assert id(aimed_module.Handler.get.__code__) in found
        assert module_codes(["not_loaded_at_all"]) == {}
    finally:
        del sys.modules["aimed_module"]


def test_module_files_follow_modules_loaded_and_replaced(tmp_path: Any) -> None:
    """The map of module files is made once and again when ``sys.modules`` changes: a
    module imported since is found, one replaced under its name (the same number of
    modules) is found by its new file, not its old one, and one added as another goes
    (the same number again) is found under its new name too."""
    first, second = tmp_path / "first_mapped.py", tmp_path / "second_mapped.py"
    first.write_text("def f():\n    return 1\n")
    second.write_text("def g():\n    return 2\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import first_mapped  # type: ignore[import-not-found]

        one = first_mapped.f.__code__.co_filename
        assert modules_of_files({one}) == {one: ["first_mapped"]}
        import second_mapped  # type: ignore[import-not-found]

        two = second_mapped.g.__code__.co_filename
        assert modules_of_files({one, two}) == {one: ["first_mapped"], two: ["second_mapped"]}
        sys.modules["first_mapped"] = second_mapped  # replaced: as many modules as before
        assert modules_of_files({one}) == {}
        assert modules_of_files({two}) == {two: ["first_mapped", "second_mapped"]}
        del sys.modules["first_mapped"]  # one name gone and another added: the same count
        sys.modules["third_mapped"] = second_mapped
        assert modules_of_files({two}) == {two: ["second_mapped", "third_mapped"]}
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("first_mapped", "second_mapped", "third_mapped"):
            sys.modules.pop(name, None)


def test_a_search_gives_control_back_while_it_gathers_the_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Teaching the whole process gathers ~100 000 codes in a large one (hundreds of ms):
    ``searching`` yields every ``STEP`` of them too, as it does while visiting, for the
    profiler to take its passes between two steps."""
    monkeypatch.setattr(code_search, "STEP", 50)
    steps = code_search.searching(set(), 10**9)
    largest, before = 0, 0
    while True:
        try:
            next(steps)
        except StopIteration as done:
            found = done.value
            break
        assert steps.gi_frame is not None
        now = len(steps.gi_frame.f_locals["found"])
        largest, before = max(largest, now - before), now
    assert len(found) > 1000  # the whole process: the test's own modules at least
    assert largest <= 50
    assert len(found) - before <= 50  # nor after the last step


class _Callbacks:
    """Holds a function no module namespace reaches (a registered callback)."""

    def __init__(self, callback: Callable[[], int]) -> None:
        self.callback = callback


def test_one_search_finds_codes_modules_reach_and_codes_only_an_object_holds() -> None:
    """The modules are walked first, the collector's objects after them, always: a code
    found in a module must not end the search before a callback's is found (a guard: a
    search that stopped at the modules would leave such codes untaught for minutes)."""
    namespace: dict[str, Any] = {}
    exec("def registered():\n    return 2\n", namespace)
    holder = _Callbacks(namespace.pop("registered"))
    hidden, reached = holder.callback.__code__, Service.Inner.method.__code__
    found = find_codes({id(hidden), id(reached)}, limit=10)
    assert found[id(hidden)][0] is hidden
    assert found[id(reached)][0] is reached


def test_a_namespace_without_functions_is_walked_in_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries that are not functions (or functions seen already) are work too: a
    step every ``STEP`` of them, so no step holds the profiler long (one of 140 ms in
    a Flask service of 1,600 modules, where the collector's walk had seen most
    functions first)."""
    monkeypatch.setattr(code_search, "STEP", 50)
    module = types.ModuleType("scopetel_test_plain")
    for index in range(1000):
        setattr(module, f"value_{index}", index)
        setattr(module, f"kind_{index}", type(f"Kind{index}", (), {}))
    sys.modules[module.__name__] = module
    try:
        walked = list(code_search._module_functions(set(), [module.__name__]))
    finally:
        del sys.modules[module.__name__]
    assert walked.count(None) >= 2000 // 50
    assert [entry for entry in walked if entry is not None] == []


def test_the_collectors_snapshot_is_a_step_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Taking the snapshot of every object is the longest step (~25 ms for 130,000
    objects): nothing else is done in it, and the functions it lists, most of them
    seen in the modules' walk already, are looked at in steps too."""
    monkeypatch.setattr(code_search, "STEP", 50)
    snapshots: list[int] = []
    every_object = gc.get_objects

    def counted(*args: Any) -> list[Any]:
        snapshots.append(1)
        return every_object(*args)

    monkeypatch.setattr(code_search.gc, "get_objects", counted)
    seen = {id(each) for each in every_object() if type(each) is types.FunctionType}
    before = set(seen)
    walk = code_search._tracked_functions(seen)
    assert next(walk) is None and snapshots == []  # what came before ends its step
    assert next(walk) is None and snapshots == [1]
    rest = list(walk)
    assert rest.count(None) >= len(before) // 50 - 1
    assert not any(id(entry) in before for entry in rest if entry is not None)  # seen: skipped
