"""Root conftest: makes ``tests.support`` importable from every test tree, and fails a test
that leaves an OpenTelemetry Context attached (a leaked span makes every later test's spans
its children, which shows up far away as sampling or naming failures).

Each test also starts without the breadcrumbs earlier tests left in the process's own
isolation scope (a background thread's redis polling, say, records them there, as in a
real process; every isolation scope a test forks would inherit them)."""

from collections.abc import Iterator

import pytest
from opentelemetry import context as otel_context

import scopetel


@pytest.fixture(autouse=True)
def _no_context_leaks() -> Iterator[None]:
    before = otel_context.get_current()
    scopetel.get_isolation_scope().clear_breadcrumbs()
    yield
    after = otel_context.get_current()
    if after is not before and dict(after) != dict(before):
        otel_context.attach(before)  # later tests start clean whatever this one left
        pytest.fail(f"the test left a Context attached: {sorted(dict(after))}", pytrace=False)
