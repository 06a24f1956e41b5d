"""The receiver of the profiling tests; no profiler thread outlives its test."""

from collections.abc import Iterator
from types import FrameType

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


@pytest.fixture(params=["native", "python"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each stack walk the sampler has: the C key (``scopetel-stackwalk``, built in this
    workspace; the test checks the sampler used it) and the Python walk used where the
    extension could not be built."""
    if request.param == "python":
        monkeypatch.setattr(sampler, "native_stack_hash", None)
        yield "python"
        return
    native = sampler.native_stack_hash  # type: ignore[attr-defined]
    if native is None:
        pytest.skip("scopetel-stackwalk's C part is not built here")
    calls = [0]

    def counted(frame: FrameType, max_depth: int) -> int:
        calls[0] += 1
        return native(frame, max_depth)

    monkeypatch.setattr(sampler, "native_stack_hash", counted)
    yield "native"
    assert calls[0] > 0, "the sampler did not use the C key"
