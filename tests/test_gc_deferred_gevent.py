"""Deferred GC-phase work in a gevent worker: gunicorn forks the worker, which then
monkey-patches ``threading`` and ``queue``. The helper that runs deferred work is a
greenlet there; waiting on a queue made before the patch (in the parent) would block
every greenlet of the process. The child must get a queue of its own."""

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("gevent")

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from scopetel import _gc_phases

    done = []
    _gc_phases.defer(lambda: done.append("parent"))  # the parent's queue and helper
    deadline = time.monotonic() + 5
    while not done and time.monotonic() < deadline:
        time.sleep(0.01)
    assert done == ["parent"], done

    pid = os.fork()
    if pid == 0:  # a gevent worker: patched after the fork
        from gevent import monkey
        monkey.patch_all()
        import gevent

        ran = []
        _gc_phases.defer(lambda: ran.append("child"))
        ticks = 0
        for _ in range(50):  # other greenlets keep running while the helper waits
            gevent.sleep(0.01)
            ticks += 1
        os._exit(0 if ran == ["child"] and ticks == 50 else 3)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
    """
)


def test_deferred_work_runs_in_a_gevent_child_and_never_blocks_it() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 0, result.stderr
