"""Task snapshots of real loops: names, states, frames, what each task waits on."""

import asyncio
import contextlib
import json
import logging
import signal
import threading
from collections.abc import Iterator

import pytest
from scopetel_instrumentation_stdlib.asyncio_instrumentor import AsyncioInstrumentor
from scopetel_instrumentation_stdlib.asyncio_snapshot import Snapshot, snapshot
from scopetel_instrumentation_stdlib.asyncio_snapshot_signal import install_snapshot_signal
from stdlib_support import instrumented

import scopetel.asyncio


async def sleeper() -> None:
    await asyncio.sleep(30)


async def waits_for(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), timeout=30)


async def gatherer() -> None:
    await asyncio.gather(asyncio.sleep(30), asyncio.sleep(30))


async def reads(reader: asyncio.StreamReader) -> None:
    await reader.read(100)


async def gets(queue: asyncio.Queue[int]) -> None:
    await queue.get()


async def in_executor(done: threading.Event) -> None:
    await asyncio.get_running_loop().run_in_executor(None, done.wait, 30)


async def awaits_task(other: asyncio.Task[None]) -> None:
    await other


async def awaits_a_bare_future(future: asyncio.Future[None]) -> None:
    await future


async def _with_tasks_of_every_kind() -> Snapshot:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = threading.Event()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[int] = asyncio.Queue()
    target = asyncio.create_task(sleeper(), name="target")
    coroutines = {
        "sleeper": sleeper(),
        "waits-for": waits_for(asyncio.Event()),
        "gatherer": gatherer(),
        "reader": reads(reader),
        "queue": gets(queue),
        "executor": in_executor(done),
        "awaits-task": awaits_task(target),
        "bare-future": awaits_a_bare_future(loop.create_future()),
    }
    tasks = [asyncio.create_task(coro, name=name) for name, coro in coroutines.items()]
    await asyncio.sleep(0.05)
    try:
        return snapshot()
    finally:
        done.set()
        for task in [*tasks, target, *asyncio.all_tasks()]:
            if task is not asyncio.current_task():
                task.cancel()
        await asyncio.gather(*tasks, target, return_exceptions=True)
        writer.close()
        server.close()


@pytest.fixture(scope="module")
def taken() -> Snapshot:
    return asyncio.run(_with_tasks_of_every_kind())


def _task(taken: Snapshot, name: str) -> dict[str, object]:
    (found,) = [task for task in taken.to_dict()["tasks"] if task["name"] == name]
    return found


def test_each_task_is_classified_by_what_it_waits_on(taken: Snapshot) -> None:
    categories = {task.name: task.waiting_on for task in taken.tasks}
    expected = {
        "sleeper": "sleep",
        "target": "sleep",
        "waits-for": "wait_for",
        "gatherer": "gather",
        "reader": "io",
        "queue": "sync",
        "executor": "executor",
        "awaits-task": "task",
        "bare-future": "other",
    }
    assert {name: categories[name] for name in expected} == expected
    (current,) = [task for task in taken.tasks if task.state == "running"]
    assert current.waiting_on == "running"
    assert current.coroutine == "_with_tasks_of_every_kind"


def test_counts_group_every_task(taken: Snapshot) -> None:
    assert sum(taken.counts.values()) == len(taken.tasks)
    assert taken.counts["sleep"] >= 4  # sleeper, target, two gathered sleeps, the server
    assert taken.counts["running"] == 1
    assert list(taken.counts)[:5] == ["running", "sleep", "wait_for", "gather", "io"]


def test_a_task_has_name_coroutine_state_frames_and_what_it_awaits(taken: Snapshot) -> None:
    task = _task(taken, "awaits-task")
    assert task["coroutine"] == "awaits_task" and task["state"] == "pending"
    assert task["awaiting"] == "Task 'target'"
    frames = task["frames"]
    assert isinstance(frames, list)
    assert frames[-1]["function"] == "awaits_task" and frames[-1]["module"] == __name__
    gathered = _task(taken, "gatherer")
    assert gathered["awaiting"] == "_GatheringFuture of 2"
    sleeping = _task(taken, "sleeper")
    functions = [frame["function"] for frame in sleeping["frames"]]  # type: ignore[index]
    assert functions == ["sleeper", "sleep"]


def test_it_serializes_and_formats(taken: Snapshot) -> None:
    assert json.loads(json.dumps(taken.to_dict()))["counts"] == taken.counts
    text = taken.format()
    assert text.startswith(f"asyncio snapshot: {len(taken.tasks)} task(s); running=1 sleep=")
    assert "'reader' reads() pending, waiting on io" in text
    assert "in awaits_task" in text


def test_the_core_module_reexports_it() -> None:
    assert scopetel.asyncio.snapshot is snapshot
    assert scopetel.asyncio.snapshot().tasks == ()  # no loop running here


def test_loops_running_in_other_threads_are_seen_when_instrumented() -> None:
    started = threading.Event()
    stop: list[asyncio.AbstractEventLoop] = []

    async def background() -> None:
        stop.append(asyncio.get_running_loop())
        started.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(30)

    with instrumented(AsyncioInstrumentor()):
        thread = threading.Thread(target=asyncio.run, args=(background(),), daemon=True)
        thread.start()
        assert started.wait(5)
        taken = snapshot()
        loop = stop[0]
        for task in asyncio.all_tasks(loop):
            loop.call_soon_threadsafe(task.cancel)
        thread.join(5)
    (task,) = taken.tasks
    assert task.coroutine.endswith("<locals>.background") and task.waiting_on == "sleep"


@pytest.fixture
def usr1_restored() -> Iterator[None]:
    before = signal.getsignal(signal.SIGUSR1)
    yield
    signal.signal(signal.SIGUSR1, before)


def test_the_signal_logs_a_snapshot_and_uninstalls_cleanly(usr1_restored, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="scopetel.asyncio")
    chained: list[int] = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: chained.append(signum))
    before = signal.getsignal(signal.SIGUSR1)

    async def main() -> None:
        task = asyncio.create_task(sleeper(), name="idle")
        await asyncio.sleep(0)
        signal.raise_signal(signal.SIGUSR1)
        task.cancel()

    handler = install_snapshot_signal(signal.SIGUSR1)
    asyncio.run(main())
    handler.uninstall()
    assert signal.getsignal(signal.SIGUSR1) is before
    assert chained == [signal.SIGUSR1]
    (record,) = [r for r in caplog.records if r.name == "scopetel.asyncio"]
    assert "asyncio snapshot: 2 task(s); running=1 sleep=1" in record.getMessage()
    assert "'idle' sleeper() pending, waiting on sleep" in record.getMessage()
    assert "main thread interrupted:" in record.getMessage()


def test_the_instrumentor_sets_the_signal_up_when_asked(usr1_restored, monkeypatch) -> None:
    monkeypatch.setenv("SCOPETEL_ASYNCIO_SNAPSHOT_SIGNAL", "USR1")
    before = signal.getsignal(signal.SIGUSR1)
    with instrumented(AsyncioInstrumentor()):
        assert signal.getsignal(signal.SIGUSR1) is not before
    assert signal.getsignal(signal.SIGUSR1) is before
