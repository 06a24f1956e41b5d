"""Every stdlib instrumentor test starts from empty isolation and current scopes.

Other tests in the process may leave data on the process-wide default scopes; a fork
made here and cleared keeps this directory's assertions exact.
"""

from collections.abc import Iterator

import pytest

import scopetel


@pytest.fixture(autouse=True)
def _fresh_scopes() -> Iterator[None]:
    with scopetel.isolation_scope() as isolation:
        isolation.clear()
        scopetel.get_current_scope().clear()
        yield
