"""What every asyncio task is doing right now: ``snapshot()``, and a signal to log it.

Usage
-----

::

    from scopetel_instrumentation_stdlib.asyncio_snapshot import snapshot

    print(snapshot().format())        # or snapshot().to_dict() for JSON

(also importable as ``scopetel.asyncio.snapshot``). Each task comes with its name, its
coroutine, its state (``running``, ``pending``, ``cancelling``), the innermost frames of
its await chain (where it is suspended), what it awaits, and a category; the counts
group the tasks by category:

``sleep`` (``asyncio.sleep``), ``wait_for``, ``gather`` (``gather``, ``wait``,
``as_completed``), ``io`` (streams, sockets, subprocesses, DNS), ``sync`` (locks,
events, conditions, semaphores, queues), ``executor`` (``run_in_executor``), ``task``
(awaiting another task), ``running`` (the task executing now) and ``other`` (anything
else, e.g. a future of a third-party I/O library).

To expose it in a live process, see ``asyncio_snapshot_signal`` (``kill -USR1 <pid>``).

Without a ``loop`` argument the snapshot covers the loops the asyncio instrumentation
saw running (in any thread) and the running loop of the calling thread. Reading tasks
of a loop running in another thread is a best-effort, read-only look.
"""

import asyncio
from collections import Counter
from dataclasses import asdict, dataclass
from types import FrameType
from typing import Any, Final

from scopetel.instrumentation import report_internal_error
from scopetel_instrumentation_stdlib._asyncio_names import coroutine_name
from scopetel_instrumentation_stdlib._loops import known_loops

CATEGORIES: Final = (
    "running",
    "sleep",
    "wait_for",
    "gather",
    "io",
    "sync",
    "executor",
    "task",
    "other",
)
_MAX_CHAIN: Final = 64
_BY_FUNCTION: Final = {
    ("asyncio.tasks", "sleep"): "sleep",
    ("asyncio.tasks", "wait_for"): "wait_for",
    ("asyncio.tasks", "wait"): "gather",
    ("asyncio.tasks", "_wait"): "gather",
    ("asyncio.tasks", "_wait_for_one"): "gather",
}
_IO_MODULES: Final = (
    "asyncio.streams",
    "asyncio.selector_events",
    "asyncio.proactor_events",
    "asyncio.base_events",
    "asyncio.subprocess",
    "asyncio.unix_events",
    "asyncio.windows_events",
    "asyncio.sslproto",
)
_SYNC_MODULES: Final = ("asyncio.locks", "asyncio.queues")


@dataclass(frozen=True, slots=True)
class FrameInfo:
    function: str
    module: str
    filename: str
    lineno: int


@dataclass(frozen=True, slots=True)
class TaskInfo:
    name: str
    coroutine: str
    state: str
    waiting_on: str
    awaiting: str
    frames: tuple[FrameInfo, ...]  # outermost first, the innermost ``max_frames``


@dataclass(frozen=True, slots=True)
class Snapshot:
    tasks: tuple[TaskInfo, ...]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (lists, dicts, strings, numbers)."""
        tasks = [
            {**asdict(task), "frames": [asdict(f) for f in task.frames]} for task in self.tasks
        ]
        return {"tasks": tasks, "counts": dict(self.counts)}

    def format(self) -> str:
        """A few lines per task, for a log."""
        summary = " ".join(f"{key}={value}" for key, value in self.counts.items() if value)
        lines = [f"asyncio snapshot: {len(self.tasks)} task(s); {summary or 'none'}"]
        for task in self.tasks:
            line = f"  {task.name!r} {task.coroutine}() {task.state}"
            if task.state != "running":
                line += f", waiting on {task.waiting_on}"
                line += f" ({task.awaiting})" if task.awaiting else ""
            lines.append(line)
            lines.extend(frame_lines(task.frames))
        return "\n".join(lines)


def snapshot(loop: asyncio.AbstractEventLoop | None = None, *, max_frames: int = 5) -> Snapshot:
    """The tasks of ``loop`` (default: every known loop) and counts by category."""
    loops = [loop] if loop is not None else known_loops()
    tasks: list[TaskInfo] = []
    for each in loops:
        try:
            running = asyncio.current_task(each) if _runs_here(each) else None
            for task in sorted(asyncio.all_tasks(each), key=asyncio.Task.get_name):
                tasks.append(task_info(task, running, max_frames))
        except Exception:
            report_internal_error("asyncio snapshot")
    counts = Counter(task.waiting_on for task in tasks)
    return Snapshot(tuple(tasks), {category: counts[category] for category in CATEGORIES})


def _runs_here(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def task_info(task: asyncio.Task[Any], running: object, max_frames: int) -> TaskInfo:
    coro = task.get_coro()
    frames = _await_chain(coro)
    waiter = getattr(task, "_fut_waiter", None)
    if task is running:
        state, category = "running", "running"
    else:
        state = "cancelling" if task.cancelling() else "pending"
        category = _category(frames, waiter)
    return TaskInfo(
        name=task.get_name(),
        coroutine=coroutine_name(coro),
        state=state,
        waiting_on=category,
        awaiting=_describe(waiter),
        frames=tuple(frame_info(frame) for frame in frames[-max(max_frames, 1) :]),
    )


def _await_chain(awaitable: object) -> list[FrameType]:
    """The frames of a coroutine and of what it awaits, down to the innermost."""
    frames: list[FrameType] = []
    current = awaitable
    for _ in range(_MAX_CHAIN):
        for frame_attribute, inner_attribute in _LINKS:
            if hasattr(current, frame_attribute):
                frame = getattr(current, frame_attribute)
                if isinstance(frame, FrameType):
                    frames.append(frame)
                current = getattr(current, inner_attribute, None)
                break
        else:
            break  # a future, or an awaitable that does not say what it waits on
    return frames


_LINKS: Final = (("cr_frame", "cr_await"), ("gi_frame", "gi_yieldfrom"), ("ag_frame", "ag_await"))


def _category(frames: list[FrameType], waiter: object) -> str:
    for frame in frames:  # the outermost asyncio function says what the task waits for
        module = frame.f_globals.get("__name__")
        if not isinstance(module, str) or not module.startswith("asyncio."):
            continue
        by_function = _BY_FUNCTION.get((module, frame.f_code.co_name))
        if by_function is not None:
            return by_function
        if module.startswith(_IO_MODULES):
            return "io"
        if module.startswith(_SYNC_MODULES):
            return "sync"
    if isinstance(waiter, asyncio.Task):
        return "task"
    if type(waiter).__name__ == "_GatheringFuture":
        return "gather"
    if isinstance(waiter, asyncio.Future) and _from_executor(waiter):
        return "executor"
    return "other"


def _from_executor(future: asyncio.Future[Any]) -> bool:
    """Whether ``future`` mirrors a ``concurrent.futures`` future (``run_in_executor``)."""
    callbacks = getattr(future, "_callbacks", None) or ()
    return any(
        getattr(entry[0], "__qualname__", "") == "_chain_future.<locals>._call_check_cancel"
        for entry in callbacks
        if isinstance(entry, tuple) and entry
    )


def _describe(waiter: object) -> str:
    if waiter is None:
        return ""
    if isinstance(waiter, asyncio.Task):
        return f"Task {waiter.get_name()!r}"
    children = getattr(waiter, "_children", None)
    if isinstance(children, list):
        return f"{type(waiter).__name__} of {len(children)}"
    return type(waiter).__name__


def frame_info(frame: FrameType) -> FrameInfo:
    code = frame.f_code
    module = frame.f_globals.get("__name__")
    return FrameInfo(
        function=getattr(code, "co_qualname", code.co_name),
        module=module if isinstance(module, str) else "",
        filename=code.co_filename,
        lineno=frame.f_lineno or 0,
    )


def frame_lines(frames: tuple[FrameInfo, ...]) -> list[str]:
    return [f"      at {frame.filename}:{frame.lineno} in {frame.function}" for frame in frames]
