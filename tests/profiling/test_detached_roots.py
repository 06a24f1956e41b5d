"""Passes without the GIL copy a thread's root data-stack chunk with memcpy() (no system
call), and only where that chunk cannot be freed under them: never with greenlet, whose
greenlets have data stacks of their own that are freed when they end."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.profiling.support import busiest_thread, samples_of, share_in
from tests.support.sentry_receiver import SentryReceiver

ROOT = Path(__file__).resolve().parents[2]

APP = """
import json, sys, threading, time
when = sys.argv[2]  # when greenlet is imported: "never", "before" or "after" profiling starts
if when == "before":
    import greenlet
import scopetel
from scopetel.profiler import start_profiler, stop_profiler
from scopetel._profiling import session

scopetel.init(dsn=sys.argv[1], profile_session_sample_rate=1.0, default_integrations=False)

def nested(depth):
    return nested(depth - 1) if depth else sum(n * n for n in range(300))

def churn(stop):
    while not stop.is_set():
        if "greenlet" in sys.modules:  # a greenlet a call: its data stack made and freed
            sys.modules["greenlet"].greenlet(lambda: nested(30)).switch()
        else:
            nested(30)

stop = threading.Event()
workers = [threading.Thread(target=churn, args=(stop,)) for _ in range(3)]
for worker in workers:
    worker.start()
start_profiler()
deadline = time.monotonic() + 20
while session._active.profiler._passes is None and time.monotonic() < deadline:
    time.sleep(0.01)  # made in a thread of their own
passes = session._active.profiler._passes
try:
    assert passes is not None
    while passes.stats()["passes"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # passes with the GIL until the code is learned
    if when == "after":  # the threads' own roots were learned; their greenlets' never are
        while passes.stats()["copied"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        import greenlet
    time.sleep(1.5)
finally:
    stop.set()
for worker in workers:
    worker.join()
stats = passes.stats()
stop_profiler()
assert scopetel.flush(timeout=5.0)
print(json.dumps(stats))
"""


def _profile(tmp_path: Path, receiver: SentryReceiver, when: str) -> tuple[dict[str, Any], Any]:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(APP))
    result = subprocess.run(
        [sys.executable, str(script), receiver.dsn, when],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr  # (a fault reading freed memory: -11)
    stats = json.loads(result.stdout.splitlines()[-1])
    receiver.wait_for(lambda: receiver.items("profile_chunk"), timeout=10)
    (item,) = receiver.items("profile_chunk")
    return stats, item.json


@pytest.fixture
def detached_usable() -> None:
    from scopetel._profiling.detached import detached_passes

    if detached_passes(8) is None:
        pytest.skip("scopetel-stackwalk's detached sampler is not usable here")


@pytest.mark.usefixtures("detached_usable")
@pytest.mark.parametrize("when", ["never", "before", "after"])
def test_greenlets_data_stacks_are_never_copied_directly(
    tmp_path: Path, receiver: SentryReceiver, when: str
) -> None:
    pytest.importorskip("greenlet")
    stats, chunk = _profile(tmp_path, receiver, when)
    assert stats["passes"] > 50
    if when == "before":  # no root learned: every stack read through the system call
        assert stats["copied"] == 0
    else:  # the threads' own stacks (in "after": until greenlet was imported, then
        assert stats["copied"] > 0  # while the threads' main greenlets run)
    worker = busiest_thread(chunk, "nested")
    assert share_in(chunk, samples_of(chunk, worker), "nested") > 0.25
