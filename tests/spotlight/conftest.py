from collections.abc import Iterator

import pytest

from tests.spotlight.sidecar import Sidecar, start_sidecar


@pytest.fixture(scope="module")
def sidecar() -> Iterator[Sidecar]:
    yield from start_sidecar()
