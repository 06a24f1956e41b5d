"""The receiver of the profiling tests; no profiler thread outlives its test."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scopetel._profiling import sampler, session
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


@pytest.fixture(params=["threads", "native", "python"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each stack walk the sampler has: every thread's key from CPython's frame
    structures (``scopetel-stackwalk`` on 3.11-3.13), the C key of one frame object, and
    the Python walk used where the extension could not be built. The test checks that
    the sampler used the walk it names."""
    calls = [0]

    def counted(native: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            calls[0] += 1
            return native(*args)

        return call

    names = {"threads": "native_sample_threads", "native": "native_stack_hash"}
    for param, name in names.items():
        native = getattr(sampler, name)
        if param != request.param:
            monkeypatch.setattr(sampler, name, None)
        elif native is None:
            pytest.skip(f"scopetel-stackwalk's {name} is not built here")
        else:
            monkeypatch.setattr(sampler, name, counted(native))
    yield request.param
    if request.param != "python":
        assert calls[0] > 0, f"the sampler did not use {names[request.param]}"
