"""The receiver of the profiling tests; no profiler thread outlives its test."""

from collections.abc import Iterator

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
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each stack walk the sampler has: the C key (``scopetel-stackwalk``, built in this
    workspace) and the Python walk used where the extension could not be built."""
    if request.param == "native":
        assert sampler.native_stack_hash is not None, "scopetel-stackwalk's C part is missing"
    else:
        monkeypatch.setattr(sampler, "native_stack_hash", None)
    return str(request.param)
