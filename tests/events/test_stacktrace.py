import importlib.util
import json
import linecache
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import pytest

from scopetel._events.stacktrace import (
    FrameOptions,
    app_root,
    frames_from_stack,
    frames_from_traceback,
    is_in_app,
)
from scopetel._serialize import TRUNCATION_KEY
from tests.events.fixtures_events import assert_valid_exceptions, qualified

SITE_PACKAGES = Path(__file__).parent / "fixtures_events" / "site-packages"
OPTIONS = FrameOptions()


def traceback_of(function: Callable[[], object]) -> TracebackType:
    try:
        function()
    except Exception as error:
        assert error.__traceback__ is not None
        return error.__traceback__
    raise AssertionError("did not raise")


def assert_valid(frames: list[dict[str, Any]]) -> None:
    assert_valid_exceptions([{"type": "E", "value": "v", "stacktrace": {"frames": frames}}])


def line_of(marker: str) -> int:
    """The line number of the line of this file that contains ``marker``."""
    for number, line in enumerate(Path(__file__).read_text().splitlines(), start=1):
        if marker in line and "line_of(" not in line:
            return number
    raise AssertionError(marker)


class Service:
    def handle(self) -> None:
        def validate() -> None:
            message = "hello"
            count = 42
            items = [1, 2]
            raise ValueError(message * count, items)  # MARK-RAISE

        validate()


def test_frames_are_oldest_first_with_qualified_names() -> None:
    frames = frames_from_traceback(traceback_of(Service().handle), OPTIONS)
    assert [qualified(frame) for frame in frames] == [
        "traceback_of",
        "Service.handle",
        "Service.handle.<locals>.validate",
    ]
    assert_valid(frames)


def test_frame_fields() -> None:
    frame = frames_from_traceback(traceback_of(Service().handle), OPTIONS)[-1]
    raise_line = line_of("# MARK-RAISE")
    assert frame["module"] == "tests.events.test_stacktrace"
    assert frame["filename"] == "tests/events/test_stacktrace.py"
    assert frame["abs_path"] == __file__
    assert frame["lineno"] == raise_line
    assert frame["in_app"] is True
    source = Path(__file__).read_text().splitlines()
    assert frame["context_line"] == source[raise_line - 1]
    assert frame["pre_context"] == source[raise_line - 6 : raise_line - 1]
    assert frame["post_context"] == source[raise_line : raise_line + 5]
    assert frame["pre_context"][-1] == "            items = [1, 2]"
    assert frame["vars"] == {"message": "'hello'", "count": "42", "items": ["1", "2"]}
    assert set(frame) == {
        "filename",
        "abs_path",
        "function",
        "raw_function",
        "module",
        "lineno",
        "pre_context",
        "context_line",
        "post_context",
        "in_app",
        "vars",
    }
    assert (frame["function"], frame["raw_function"]) == (
        "validate",
        "Service.handle.<locals>.validate",
    )


def test_options_turn_parts_off() -> None:
    options = FrameOptions(include_local_variables=False, include_source_context=False)
    frame = frames_from_traceback(traceback_of(Service().handle), options)[-1]
    assert "vars" not in frame
    assert "context_line" not in frame
    assert "pre_context" not in frame
    assert frame["lineno"] == line_of("# MARK-RAISE")


def test_context_lines_option() -> None:
    frame = frames_from_traceback(traceback_of(Service().handle), FrameOptions(context_lines=2))[-1]
    assert frame["pre_context"] == ["            count = 42", "            items = [1, 2]"]
    assert frame["post_context"] == ["", "        validate()"]
    frame = frames_from_traceback(traceback_of(Service().handle), FrameOptions(context_lines=0))[-1]
    assert "pre_context" not in frame
    assert "post_context" not in frame
    assert frame["context_line"].strip().startswith("raise ValueError")


def test_long_source_lines_are_cut() -> None:
    frame = frames_from_traceback(
        traceback_of(Service().handle), FrameOptions(max_value_length=20)
    )[-1]
    assert frame["context_line"] == "            raise..."
    assert frame["vars"]["message"] == "'hello'"


def test_code_without_source() -> None:
    namespace: dict[str, object] = {"__name__": "generated.module"}
    code = compile("def boom():\n    local = 'x'\n    1 / 0\nboom()\n", "<string>", "exec")
    frames = frames_from_traceback(traceback_of(lambda: exec(code, namespace)), OPTIONS)
    generated = [frame for frame in frames if frame.get("abs_path") == "<string>"]
    assert [frame["function"] for frame in generated] == ["<module>", "boom"]
    module_frame, boom = generated
    assert boom == {
        "filename": "<string>",
        "abs_path": "<string>",
        "function": "boom",
        "module": "generated.module",
        "lineno": 3,
        "in_app": True,
        "vars": {"local": "'x'"},
    }
    # the module-level frame shows the module's globals without dunder names
    assert module_frame["vars"] == {"boom": module_frame["vars"]["boom"]}
    assert str(module_frame["vars"]["boom"]).startswith("<function boom")
    assert_valid(frames)


def test_exec_inside_a_real_module_does_not_borrow_its_source() -> None:
    frames = frames_from_traceback(traceback_of(lambda: exec("1 / 0", globals())), OPTIONS)
    last = frames[-1]
    assert last["abs_path"] == "<string>"
    assert last["module"] == "tests.events.test_stacktrace"
    assert "context_line" not in last


@pytest.fixture()
def fake_thirdparty(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.syspath_prepend(str(SITE_PACKAGES))
    from fake_thirdparty import runner

    yield runner


def _fail_in_app() -> None:
    raise KeyError("from the app")


def test_site_packages_frames_are_not_in_app(fake_thirdparty: Any) -> None:
    frames = frames_from_traceback(traceback_of(lambda: fake_thirdparty.run(_fail_in_app)), OPTIONS)
    library = frames[-2]
    assert library["module"] == "fake_thirdparty.runner"
    assert library["filename"] == "fake_thirdparty/runner.py"
    assert library["abs_path"] == str(SITE_PACKAGES / "fake_thirdparty" / "runner.py")
    assert library["in_app"] is False
    assert library["context_line"] == "    return callback() if library_state else None"
    assert library["vars"]["library_state"] == "'inside the library'"
    assert frames[-1]["function"] == "_fail_in_app"
    assert frames[-1]["in_app"] is True
    assert_valid(frames)


def test_in_app_include_and_exclude(fake_thirdparty: Any) -> None:
    def in_app_of(options: FrameOptions) -> tuple[bool, bool]:
        frames = frames_from_traceback(
            traceback_of(lambda: fake_thirdparty.run(_fail_in_app)), options
        )
        return frames[-2]["in_app"], frames[-1]["in_app"]

    assert in_app_of(FrameOptions(in_app_include=("fake_thirdparty",))) == (True, True)
    assert in_app_of(FrameOptions(in_app_exclude=("tests",))) == (False, False)
    assert in_app_of(FrameOptions(in_app_exclude=("tests.events.test_stack",))) == (False, True)
    # the longest matching prefix decides
    carve = FrameOptions(
        in_app_include=("tests",), in_app_exclude=("tests.events.test_stacktrace",)
    )
    assert in_app_of(carve) == (False, False)
    narrow = FrameOptions(
        in_app_include=("fake_thirdparty.runner",), in_app_exclude=("fake_thirdparty",)
    )
    assert in_app_of(narrow) == (True, True)


def test_stdlib_frames_are_not_in_app() -> None:
    frames = frames_from_traceback(traceback_of(lambda: json.loads("{broken")), OPTIONS)
    modules = [(frame["module"], frame["in_app"]) for frame in frames]
    assert modules[-1] == ("json.decoder", False)
    assert ("json", False) in modules
    assert modules[-1] != modules[0]
    assert frames[-1]["filename"] == "json/decoder.py"
    assert_valid(frames)


def test_is_in_app_paths() -> None:
    assert is_in_app("importlib._bootstrap", "<frozen importlib._bootstrap>", OPTIONS) is False
    assert is_in_app("__main__", "<stdin>", OPTIONS) is True
    assert is_in_app("x", "/venv/lib/python3.11/dist-packages/x.py", OPTIONS) is False
    assert is_in_app("x", "C:\\venv\\Lib\\site-packages\\x.py", OPTIONS) is False
    assert is_in_app("app.site", "/srv/site-packagesx/app/site.py", OPTIONS) is True
    assert is_in_app(None, None, OPTIONS) is True
    assert is_in_app("app", "/srv/app.py", FrameOptions(in_app_exclude=("ap",))) is True


def test_in_app_under_the_app_root_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    options = FrameOptions(app_root="/srv/app")
    assert is_in_app("orders", "/srv/app/orders.py", options) is True
    assert is_in_app("orders", "/srv/app2/orders.py", options) is False  # a sibling
    assert is_in_app("tool", "/srv/venv/bin/tool", options) is False
    assert is_in_app("x", "/srv/app/.venv/lib/python3.11/site-packages/x.py", options) is False
    assert is_in_app("tool", "/srv/venv/bin/tool", FrameOptions(in_app_include=("tool",)))
    assert is_in_app("__main__", "<stdin>", options) is True
    monkeypatch.chdir(tmp_path)
    assert app_root(None) == str(tmp_path)
    assert app_root("relative") == str(tmp_path / "relative")


def test_filename_relative_to_project_root(tmp_path: Path) -> None:
    source = tmp_path / "proj" / "handlers" / "orders.py"
    source.parent.mkdir(parents=True)
    source.write_text("def fail():\n    raise RuntimeError('no')\n")
    spec = importlib.util.spec_from_file_location("loaded_under_another_name", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tb = traceback_of(module.fail)
    rooted = frames_from_traceback(tb, FrameOptions(project_root=str(tmp_path / "proj")))
    assert rooted[-1]["filename"] == "handlers/orders.py"
    assert rooted[-1]["context_line"] == "    raise RuntimeError('no')"
    plain = frames_from_traceback(tb, OPTIONS)
    assert plain[-1]["filename"] == "orders.py"
    assert plain[-1]["abs_path"] == str(source)
    linecache.checkcache(str(source))


def test_package_init_filename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pkg_for_init_test"
    package.mkdir()
    (package / "__init__.py").write_text("def fail():\n    raise RuntimeError('init')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import pkg_for_init_test  # type: ignore[import-not-found]

    frames = frames_from_traceback(traceback_of(pkg_for_init_test.fail), OPTIONS)
    assert frames[-1]["module"] == "pkg_for_init_test"
    assert frames[-1]["filename"] == "pkg_for_init_test/__init__.py"
    del sys.modules["pkg_for_init_test"]


def test_hidden_frames_are_skipped() -> None:
    def hidden() -> None:
        __tracebackhide__ = True
        raise ValueError("x")

    def visible() -> None:
        hidden()

    frames = frames_from_traceback(traceback_of(visible), OPTIONS)
    assert [qualified(frame) for frame in frames] == [
        "traceback_of",
        "test_hidden_frames_are_skipped.<locals>.visible",
    ]


def test_scopetel_frames_are_skipped() -> None:
    namespace: dict[str, Any] = {"__name__": "scopetel._pretend_wrapper"}
    exec("def wrapper(callback):\n    return callback()\n", namespace)

    def inner() -> None:
        raise ValueError("x")

    frames = frames_from_traceback(traceback_of(lambda: namespace["wrapper"](inner)), OPTIONS)
    assert [qualified(frame) for frame in frames] == [
        "traceback_of",
        "test_scopetel_frames_are_skipped.<locals>.<lambda>",
        "test_scopetel_frames_are_skipped.<locals>.inner",
    ]


def _recurse(depth: int) -> int:
    return _recurse(depth + 1)


def test_recursion_error_keeps_oldest_and_newest_frames() -> None:
    tb = traceback_of(lambda: _recurse(0))
    total = 0
    current: TracebackType | None = tb
    while current is not None:
        total += 1
        current = current.tb_next
    assert total > 200

    frames = frames_from_traceback(tb, OPTIONS)
    assert len(frames) == 100
    assert frames[0]["function"] == "traceback_of"
    assert frames[2]["function"] == "_recurse"
    assert frames[2]["vars"] == {"depth": "0"}
    assert frames[-1]["function"] == "_recurse"
    assert frames[-1]["vars"] == {"depth": str(total - 3)}
    assert frames[49]["vars"] == {"depth": "47"}
    assert frames[50]["vars"] == {"depth": str(total - 3 - 49)}
    assert_valid(frames)

    small = frames_from_traceback(tb, FrameOptions(max_frames=10))
    assert len(small) == 10
    assert [frame["vars"].get("depth") for frame in small] == [
        None,
        None,
        "0",
        "1",
        "2",
        *(str(total - 3 - n) for n in range(4, -1, -1)),
    ]


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_local_variables_are_bounded_and_safe() -> None:
    def busy() -> None:
        huge_list = list(range(100_000))
        huge_text = "q" * 100_000
        deep: object = "bottom"
        for _ in range(20):
            deep = {"down": deep}
        broken = Unprintable()
        raise ValueError(huge_list, huge_text, deep, broken)

    frame = frames_from_traceback(traceback_of(busy), FrameOptions(max_value_length=50))[-1]
    local_vars = frame["vars"]
    assert local_vars["huge_list"] == [*(str(n) for n in range(10)), "<99990 more items>"]
    assert local_vars["huge_text"] == "'" + "q" * 46 + "..."
    assert local_vars["broken"] == "<broken repr of type 'Unprintable'>"
    level = local_vars["deep"]
    for _ in range(3):
        level = level["down"]
    assert isinstance(level["down"], str)
    assert level["down"].startswith("{'down': {'down':")
    assert len(level["down"]) == 50
    assert len(json.dumps(frame)) < 4000
    assert_valid([frame])


def test_many_locals_are_bounded() -> None:
    names = [f"v{n}" for n in range(80)]
    body = "".join(f"    {name} = {n}\n" for n, name in enumerate(names))
    namespace: dict[str, Any] = {}
    exec(f"def many():\n{body}    raise ValueError()\n", namespace)
    frame = frames_from_traceback(traceback_of(namespace["many"]), OPTIONS)[-1]
    local_vars = frame["vars"]
    assert len(local_vars) == 11  # the first 10, as sentry_sdk shows, and a marker
    assert local_vars["v0"] == "0"
    assert local_vars["v9"] == "9"
    assert "v10" not in local_vars
    assert local_vars[TRUNCATION_KEY] == "<more variables>"


def test_traceback_none_gives_no_frames() -> None:
    assert frames_from_traceback(None, OPTIONS) == []
    assert frames_from_stack(None, OPTIONS) == []


def _current_frame() -> FrameType:
    return sys._getframe(1)


def test_frames_from_stack() -> None:
    here = _current_frame()
    call_line = line_of("# MARK-STACK")
    frames = frames_from_stack(here, OPTIONS)  # MARK-STACK
    last = frames[-1]
    assert last["function"] == "test_frames_from_stack"
    assert last["lineno"] == call_line
    assert last["context_line"].endswith("# MARK-STACK")
    assert last["in_app"] is True
    assert "here" in last["vars"]
    # pytest's frames come first and are not the application's
    pytest_frames = [frame for frame in frames if frame["module"] == "_pytest.python"]
    assert pytest_frames
    assert all(frame["in_app"] is False for frame in pytest_frames)
    assert frames.index(pytest_frames[0]) < len(frames) - 1
    assert_valid(frames)

    skipped = frames_from_stack(here, OPTIONS, skip=1)
    assert [(f["function"], f["lineno"]) for f in skipped] == [
        (f["function"], f["lineno"]) for f in frames[:-1]
    ]
    bounded = frames_from_stack(here, FrameOptions(max_frames=4))
    assert [frame["function"] for frame in bounded][-2:] == [
        frames[-2]["function"],
        "test_frames_from_stack",
    ]
    assert len(bounded) == 4
