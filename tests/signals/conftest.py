"""Each signals test runs in an isolation scope of its own, as a request does: the
breadcrumbs its log records leave stay there, out of later tests' events."""

from collections.abc import Iterator

import pytest

import scopetel


@pytest.fixture(autouse=True)
def _own_isolation_scope() -> Iterator[None]:
    with scopetel.isolation_scope():
        yield
