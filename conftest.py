"""Root conftest: makes ``tests.support`` importable from every test tree, and fails a test
that leaves an OpenTelemetry Context attached (a leaked span makes every later test's spans
its children, which shows up far away as sampling or naming failures)."""

from collections.abc import Iterator

import pytest
from opentelemetry import context as otel_context


@pytest.fixture(autouse=True)
def _no_context_leaks() -> Iterator[None]:
    before = otel_context.get_current()
    yield
    after = otel_context.get_current()
    if after is not before and dict(after) != dict(before):
        otel_context.attach(before)  # later tests start clean whatever this one left
        pytest.fail(f"the test left a Context attached: {sorted(dict(after))}", pytrace=False)
