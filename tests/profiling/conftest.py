"""The receiver of the profiling tests; no profiler thread outlives its test."""

import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import pytest

from scopetel._profiling import code_search, detached, known_codes, profiler, sampler, session
from tests.support.relay import assert_valid_event
from tests.support.sentry_receiver import SentryReceiver


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as server:
        yield server
        session.shutdown(2.0)  # no profiler thread outlives its test
        assert server.errors == []
        for payload in server.events() + server.transactions():
            assert_valid_event(payload)


def know_the_code(module: str) -> None:
    """What a running service's profiler has done once (in a large process, a test
    run's, it takes seconds): search the process's code, for the passes without the GIL
    to start knowing it (see ``known_codes``); in a large process, the code of the test
    module and of what every thread runs now."""
    running = {module, "tests.profiling.support", "threading"}
    for top in sys._current_frames().values():
        frame: FrameType | None = top
        while frame is not None:
            running.add(str(frame.f_globals.get("__name__")))
            frame = frame.f_back
    known_codes.remember(code_search.find_codes(set(), detached.MAX_CODES // 2, running))


def use_walk(name: str, monkeypatch: pytest.MonkeyPatch, module: str) -> Callable[[], None]:
    """Make the sampler use the walk ``name`` (skip where it is not built); the check,
    for after the test, that it did."""
    calls = [0]

    def counted(native: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            calls[0] += 1
            return native(*args)

        return call

    if name == "detached":
        monkeypatch.setenv("SENTRY_PROFILER_DETACHED", "true")  # the default, made explicit
        if detached.detached_passes(8) is None:
            pytest.skip("scopetel-stackwalk's detached sampler is not usable here")
        know_the_code(module)
        collect = detached.DetachedPasses.collect

        def counting(self: detached.DetachedPasses, chunk: Any, renderer: Any) -> None:
            before = len(chunk.timestamps)
            collect(self, chunk, renderer)
            calls[0] += len(chunk.timestamps) > before

        monkeypatch.setattr(detached.DetachedPasses, "collect", counting)
    else:
        monkeypatch.setattr(profiler, "detached_passes", lambda *args: None)
    names = {"threads": "native_sample_threads", "native": "native_stack_hash"}
    for param, native_name in names.items():
        native = getattr(sampler, native_name)
        if name == "detached" or (native is None and param != name):
            continue
        if param != name:
            monkeypatch.setattr(sampler, native_name, None)
        elif native is None:
            pytest.skip(f"scopetel-stackwalk's {native_name} is not built here")
        else:
            monkeypatch.setattr(sampler, native_name, counted(native))

    def check() -> None:
        if name != "python":
            assert calls[0] > 0, f"the sampler did not use the {name} walk"

    return check


@pytest.fixture(params=["detached", "threads", "native", "python"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each stack walk the profiler has: passes without the GIL (``scopetel-stackwalk``'s
    detached sampler, Linux and 3.11-3.13), every thread's key from CPython's frame
    structures with the GIL (3.11-3.13), the C key of one frame object, and the Python
    walk used where the extension could not be built. The test checks that the profiler
    used the walk it names."""
    check = use_walk(request.param, monkeypatch, request.module.__name__)
    yield request.param
    check()


@pytest.fixture
def detached_walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``walk``'s passes without the GIL alone (skipped where they cannot run)."""
    check = use_walk("detached", monkeypatch, request.module.__name__)
    yield "detached"
    check()


@pytest.fixture(params=["threads", "native", "python"])
def gil_walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``walk``'s passes with the GIL, for tests of ``StackSampler`` itself."""
    check = use_walk(request.param, monkeypatch, request.module.__name__)
    yield request.param
    check()
