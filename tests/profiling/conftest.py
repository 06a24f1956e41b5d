"""The receiver of the profiling tests; no profiler thread outlives its test."""

from collections.abc import Iterator

import pytest

from scopetel._profiling import session
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
