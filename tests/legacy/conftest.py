"""Each test runs sentry_sdk-style code on scopetel, in an isolation scope of its own, with
an in-memory transport (``transport``); the block's exit undoes what the test attached."""

from collections.abc import Iterator

import pytest

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes


@pytest.fixture
def transport() -> Iterator[CapturingTransport]:
    with scopetel.isolation_scope(), capture_envelopes(traces_sample_rate=1.0) as captured:
        yield captured
