"""The C key equals the Python walk's key, for every stack shape the profiler meets."""

import functools
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from types import FrameType, GeneratorType
from typing import cast

import pytest
import scopetel_stackwalk
from hypothesis import given, settings
from hypothesis import strategies as st
from other_frames import current_frames, frames_under

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent.parent


def python_key(top: FrameType, max_depth: int) -> int:
    key: list[int] = []
    for frame in frames_under(top):
        key += (id(frame.f_code), frame.f_lasti)
    return hash(tuple(key[: 2 * max_depth]))


def native() -> scopetel_stackwalk.StackHash:
    assert scopetel_stackwalk.stack_hash is not None, "the C extension was not built"
    return scopetel_stackwalk.stack_hash


def caller_frame() -> FrameType:
    """The caller's frame: it stays at one instruction while both keys are taken."""
    return sys._getframe(2)


def at_depth(depth: int, then: "object") -> object:
    if depth:
        return at_depth(depth - 1, then)
    return then()  # type: ignore[operator]


def test_the_lanes_are_those_of_this_interpreters_hash() -> None:
    assert sys.hash_info.width == 64
    assert sys.hash_info.modulus == 2**61 - 1
    assert hash(-1) == -2


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(0, 300), max_depth=st.integers(0, 400))
def test_equals_the_python_walk(depth: int, max_depth: int) -> None:
    stack_hash = native()

    def compare() -> tuple[int, int]:
        frame = caller_frame()
        return stack_hash(frame, max_depth), python_key(frame, max_depth)

    result = at_depth(depth, compare)
    assert isinstance(result, tuple)
    assert result[0] == result[1]


def test_no_frames_is_the_empty_tuples_hash() -> None:
    assert native()(sys._getframe(), 0) == hash(())


def keys_agree(frame: FrameType) -> bool:
    """Both keys of ``frame``, which waits in this call meanwhile (one instruction)."""
    return native()(frame, 128) == python_key(frame, 128)


def test_generator_and_coroutine_frames_running_and_suspended() -> None:
    def generator() -> Generator[bool, None, None]:
        yield keys_agree(sys._getframe())  # its own frame, running

    numbers = generator()
    assert next(numbers)
    suspended = cast(
        "GeneratorType[bool, None, None]", numbers
    ).gi_frame  # suspended at the yield: no caller
    assert suspended is not None and suspended.f_back is None
    assert keys_agree(suspended)

    async def inner() -> bool:
        return keys_agree(sys._getframe())  # awaited from outer: a chain of coroutines

    async def outer() -> bool:
        return await inner()

    with pytest.raises(StopIteration) as stopped:
        outer().send(None)
    assert stopped.value.value is True

    async def agen() -> AsyncGenerator[bool, None]:
        yield keys_agree(sys._getframe())

    with pytest.raises(StopIteration) as stopped:
        agen().asend(None).send(None)
    assert stopped.value.value is True


def blocked_top(worker: threading.Thread) -> FrameType:
    """The worker's innermost frame once it waits in ``Condition.wait`` (not before)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        top = current_frames().get(worker.ident or 0)
        caller = next(iter(frames_under(top)[1:2]), None)
        # Condition.wait under Event.wait: blocked on its lock
        if (
            top is not None
            and caller is not None
            and top.f_code.co_name == "wait" == caller.f_code.co_name
        ):
            return top
        time.sleep(0.001)
    raise AssertionError("the worker never blocked")


def test_another_threads_blocked_stack_as_the_sampler_sees_it() -> None:
    stack_hash = native()
    parked, release = threading.Event(), threading.Event()

    def park() -> None:
        parked.set()
        release.wait(10)

    worker = threading.Thread(target=lambda: at_depth(40, park))
    worker.start()
    try:
        assert parked.wait(10)
        top = blocked_top(worker)
        assert stack_hash(top, 128) == python_key(top, 128)
        assert stack_hash(top, 10) == python_key(top, 10)
        assert stack_hash(top, 128) != stack_hash(top, 10)
    finally:
        release.set()
        worker.join(10)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((None, 1), TypeError),
        (("frame", 1), TypeError),
        ((sys._getframe(), "1"), TypeError),
        ((sys._getframe(), -1), ValueError),
        ((sys._getframe(), 2**80), OverflowError),
        ((sys._getframe(),), TypeError),
        ((), TypeError),
    ],
)
def test_bad_arguments_raise_clear_errors(args: tuple[object, ...], error: type) -> None:
    with pytest.raises(error):
        native()(*args)  # type: ignore[arg-type]


def test_installs_without_a_compiler_and_says_so(tmp_path: Path) -> None:
    """Where the C part cannot be built (no compiler; ``CC`` fails here), the package
    still installs and ``stack_hash`` and ``sample_threads`` are None, so the profiler
    walks in Python."""
    uv = ROOT / ".tools" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("needs scripts/setup.sh's uv")
    source = tmp_path / "stackwalk"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    venv = tmp_path / "venv"
    env = {**os.environ, "CC": "/bin/false", "UV_PYTHON_DOWNLOADS": "never"}
    run = functools.partial(subprocess.run, env=env, capture_output=True, text=True, timeout=300)
    done = run([str(uv), "venv", "--quiet", "--python", sys.executable, str(venv)])
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    done = run([str(uv), "pip", "install", "--no-cache", "--python", str(python), str(source)])
    assert done.returncode == 0, done.stderr
    probe = "import scopetel_stackwalk as s; print(s.stack_hash, s.sample_threads)"
    done = run([str(python), "-c", probe])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None None"
