"""Which asyncio task each event-loop thread is running, read from the sampler thread.

asyncio records the task whose step a loop is running in ``asyncio.tasks._current_tasks``
(``{loop: task}``, set while a step runs, on Python 3.11 to 3.13, both for the C and the
pure-Python tasks), and a running ``BaseEventLoop`` records its thread in ``_thread_id``.
Both are private: when either is missing (another Python, another loop implementation
such as uvloop) samples simply carry no task.
"""

import sys


def running_tasks() -> dict[int, str]:
    """``{thread id: name of the task running there now}``; empty when none runs."""
    tasks = sys.modules.get("asyncio.tasks")
    current = getattr(tasks, "_current_tasks", None)
    if not current or not isinstance(current, dict):
        return {}
    result: dict[int, str] = {}
    for loop, task in current.copy().items():  # one C call under the GIL: a snapshot
        thread_id = getattr(loop, "_thread_id", None)
        get_name = getattr(task, "get_name", None)
        if isinstance(thread_id, int) and get_name is not None:
            name = get_name()
            if isinstance(name, str):
                result[thread_id] = name
    return result
