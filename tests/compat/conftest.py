"""Each corpus script runs once per interpreter per session, four at a time, in the
background: a session fixture starts the runs the collected tests need, tests wait."""

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tests.compat.runner import SCOPETEL_PYTHON, SENTRY_SDK_PYTHON, Run, run_script

WORKERS = 4
SIDES = {"sentry_sdk": SENTRY_SDK_PYTHON, "scopetel": SCOPETEL_PYTHON}


class CorpusRuns:
    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._runs: dict[tuple[str, str], Future[Run]] = {}

    def start(self, side: str, script: str) -> None:
        if (side, script) not in self._runs and SIDES[side].exists():
            self._runs[(side, script)] = self._pool.submit(run_script, script, SIDES[side])

    def get(self, side: str, script: str) -> Run:
        self.start(side, script)
        return self._runs[(side, script)].result()


@pytest.fixture(scope="session")
def corpus_runs(request: pytest.FixtureRequest) -> Iterator[CorpusRuns]:
    with ThreadPoolExecutor(WORKERS) as pool:
        runs = CorpusRuns(pool)
        for item in request.session.items:
            callspec = getattr(item, "callspec", None)
            side = item.get_closest_marker("corpus_side")
            if callspec is not None and side is not None and "script" in callspec.params:
                runs.start(side.args[0], callspec.params["script"])
        yield runs


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "corpus_side(name): the interpreter a compat test needs")
