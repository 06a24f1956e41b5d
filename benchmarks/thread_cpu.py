"""CPU time of a running process's threads, from Linux's ``/proc`` (benchmarks only).

``ThreadCpu.of(pid)`` reads every thread of ``pid``; ``split(before, after)`` gives the
CPU seconds the main thread (the one whose id is the process id: the thread that serves
a sync worker's requests or runs an asyncio loop) and all other threads (an SDK's
workers) spent between two readings. Threads that ended in between are lost (their time
is not counted): the SDKs' threads here live as long as the process.
"""

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ThreadCpu:
    pid: int
    seconds: dict[int, float]  # thread id -> user + system CPU seconds so far

    @classmethod
    def of(cls, pid: int) -> "ThreadCpu":
        seconds: dict[int, float] = {}
        for name in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{name}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the thread ended while listed
            # fields after the command name: state is 0, utime 11, stime 12
            seconds[int(name)] = (int(fields[11]) + int(fields[12])) / _TICKS
        return cls(pid, seconds)


def split(before: ThreadCpu, after: ThreadCpu) -> tuple[float, float]:
    """(main thread, other threads) CPU seconds from ``before`` to ``after``."""
    main = after.seconds.get(after.pid, 0.0) - before.seconds.get(before.pid, 0.0)
    others = sum(
        spent - before.seconds.get(tid, 0.0)
        for tid, spent in after.seconds.items()
        if tid != after.pid
    )
    return main, others


def serving_pid(server_pid: int, prefork: bool) -> int:
    """The process that serves requests: gunicorn's one worker (the arbiter's child), or
    the server process itself."""
    if not prefork:
        return server_pid
    with open(f"/proc/{server_pid}/task/{server_pid}/children") as children:
        pids = [int(pid) for pid in children.read().split()]
    if len(pids) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {pids}")
    return pids[0]
