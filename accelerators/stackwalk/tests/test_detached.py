"""``DetachedSampler``: passes without the GIL key each stack as the GIL side does, read
only what they were taught, and say why they stopped."""

import gc
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import CodeType, FrameType, FunctionType
from typing import Any

import pytest
import scopetel_stackwalk
from other_frames import current_frames, frames_under
from test_sample_threads import parked
from test_stackwalk import at_depth, blocked_top, python_key

Columns = tuple[list[float], list[int], list[Any], list[str | None]]


def sampler(max_depth: int = 128) -> Any:
    if scopetel_stackwalk.DetachedSampler is None:
        pytest.skip("built without DetachedSampler (not Linux, or an unknown CPython)")
    return scopetel_stackwalk.DetachedSampler(max_depth)


def codes_under(top: FrameType) -> list[CodeType]:
    return [frame.f_code for frame in frames_under(top)]


def teach_all(detached: Any, threads: list[int]) -> None:
    detached.teach([], every_code(), [], threads, [])


def every_code() -> list[CodeType]:
    """Every function's code and those nested in them, and every code on a stack now: the
    other threads of the process (a test runner's) must not end a run."""
    codes: dict[int, CodeType] = {}
    # type(), not isinstance(): a lazy proxy (Django's settings) would be asked __class__
    pending = [f.__code__ for f in gc.get_objects() if type(f) is FunctionType]
    pending += [c for top in current_frames().values() for c in codes_under(top)]
    while pending:
        code = pending.pop()
        if id(code) not in codes:
            codes[id(code)] = code
            pending += [c for c in code.co_consts if type(c) is CodeType]
    return list(codes.values())


def run_until(detached: Any, passes: int, wanted: Callable[[], bool]) -> int:
    """``run`` until ``wanted()``: what other threads meet that was not taught (their
    new codes, new threads) is taught, or told of, and the run started again."""
    reason = detached.DUE
    for _ in range(20):
        reason = detached.run(0.001, passes, ME)
        if wanted():
            return int(reason)
        detached.teach([], [], [], list(current_frames()), detached.unknown_codes())
    raise AssertionError(f"not there after 20 runs (last: {reason})")


def drain(detached: Any) -> tuple[Columns, list[tuple[int, int, Any]]]:
    columns: Columns = ([], [], [], [])
    records = detached.drain(0.0, *columns)
    assert len({len(column) for column in columns}) == 1
    return columns, records


ME = threading.get_ident()


def test_what_it_was_not_taught_ends_the_run_and_is_named_by_address() -> None:
    detached = sampler()
    with parked(4) as top:
        assert detached.run(0.001, 50, ME) == detached.NEW_CODE  # after its first pass
        unknown = detached.unknown_codes()
    assert id(top.f_code) in unknown  # its innermost: where a walk meets it first
    stats = detached.stats()
    assert stats["passes"] == 1 and stats["samples"] == 0 and stats["unknown_code"] >= 1
    assert drain(detached) == (([], [], [], []), [])


def test_told_of_an_untaught_code_a_run_goes_on_without_that_threads_samples() -> None:
    detached = sampler()
    with parked(4) as top:
        worker = next(t for t, f in current_frames().items() if f is top)
        detached.teach([], [], [], [], [id(code) for code in codes_under(top)])
        passes = detached.stats()["passes"]
        run_until(detached, 5, lambda: detached.stats()["passes"] >= passes + 5)
        (_, threads, _, _), _ = drain(detached)
    assert worker not in threads


def test_a_taught_thread_keyed_as_the_gil_side_keys_it() -> None:
    detached = sampler()
    with parked(6) as top:
        worker = next(t for t, f in current_frames().items() if f is top)
        teach_all(detached, threads=list(current_frames()))
        run_until(detached, 3, lambda: detached.stats()["passes"] >= 3)
        (timestamps, threads, stacks, tasks), records = drain(detached)
        expected = python_key(top, 128)  # while it is still there
        assert scopetel_stackwalk.stack_hash is not None
        assert scopetel_stackwalk.stack_hash(top, 128) == expected
        innermost = (id(top.f_code), top.f_lasti)
    mine = [i for i, thread in enumerate(threads) if thread == worker]
    assert len(mine) >= 3 and len({timestamps[i] for i in mine}) == len(mine)
    assert all(stacks[i] is None and tasks[i] is None for i in mine)
    by_position = {position: (raw, lanes) for position, raw, lanes in records}
    first = by_position[mine[0]]
    assert first[0] == expected and hash(first[1]) == expected
    assert first[1][:2] == innermost
    for later in mine[1:]:  # a stack's lanes are given once a drain
        assert by_position[later] == (expected, None)


def test_a_taught_stack_is_a_sample_with_its_index() -> None:
    detached = sampler()
    with parked(3) as top:
        worker = next(t for t, f in current_frames().items() if f is top)
        teach_all(detached, threads=list(current_frames()))
        detached.teach([(python_key(top, 128), 7)], [], [], [], [])
        run_until(detached, 4, lambda: detached.stats()["passes"] >= 4)
        (_, threads, stacks, _), records = drain(detached)
    mine = [i for i, thread in enumerate(threads) if thread == worker]
    assert len(mine) >= 4 and {stacks[i] for i in mine} == {7}
    assert not {position for position, _, _ in records} & set(mine)


def test_a_run_ends_full_once_it_has_the_samples_asked_for() -> None:
    """``max_samples`` bounds a run in samples, whatever the caller thought the threads
    were: the pass that reaches it is the last (FULL), and it is kept whole."""
    detached = sampler()
    with parked(3):
        teach_all(detached, threads=list(current_frames()))
        run_until(detached, 1, lambda: detached.stats()["samples"] > 0)
        drain(detached)
        reason = detached.run(0.001, 50, ME, 0.0, 3)
        (timestamps, _, _, _), _ = drain(detached)
    assert reason == detached.FULL
    per_pass = [timestamps.count(t) for t in sorted(set(timestamps))]
    assert sum(per_pass[:-1]) < 3 <= sum(per_pass)  # the last pass reached it, whole


def test_a_thread_that_did_not_run_is_sampled_again_without_reading_it() -> None:
    """Its CPU clock has not moved since its last sample: the same stack, repeated."""
    detached = sampler()
    with parked(4) as top:
        worker = next(t for t, f in current_frames().items() if f is top)
        teach_all(detached, threads=list(current_frames()))
        run_until(detached, 10, lambda: detached.stats()["passes"] >= 10)
        (_, threads, _, _), records = drain(detached)
        expected = python_key(top, 128)
        detached.teach([(expected, 3)], [], [], [], [])
        run_until(detached, 10, lambda: detached.stats()["passes"] >= 20)
        (_, later_threads, later_stacks, _), _ = drain(detached)
    mine = [i for i, thread in enumerate(threads) if thread == worker]
    by_position = {position: (raw, lanes) for position, raw, lanes in records}
    assert len(mine) >= 10 and all(by_position[i][0] == expected for i in mine)
    assert by_position[mine[0]][1] is not None  # its lanes once, then the key alone
    later = [later_stacks[i] for i, thread in enumerate(later_threads) if thread == worker]
    assert len(later) >= 10 and set(later) == {3}
    assert detached.stats()["quiet"] >= 16  # all but a pass or so of each run repeated


def test_a_quiet_thread_that_moves_is_sampled_where_it_is_now() -> None:
    """A remembered sample is never repeated once its thread has run."""
    first, second = threading.Event(), threading.Event()

    def second_place() -> None:
        second.wait(10)

    def first_place() -> None:
        first.wait(10)
        at_depth(5, second_place)

    worker = threading.Thread(target=first_place)
    worker.start()
    try:
        detached = sampler()
        before = blocked_top(worker)
        teach_all(detached, threads=list(current_frames()))
        detached.teach([(python_key(before, 128), 1)], [], [], [], [])
        run_until(detached, 10, lambda: detached.stats()["quiet"] >= 5)
        (_, threads, stacks, _), _ = drain(detached)
        assert {stacks[i] for i, t in enumerate(threads) if t == worker.ident} == {1}
        first.set()
        after = blocked_top(worker)
        deadline = time.monotonic() + 10
        while "second_place" not in {c.co_name for c in codes_under(after)}:
            assert time.monotonic() < deadline
            after = blocked_top(worker)
        expected = python_key(after, 128)
        detached.teach([], every_code(), [], [], [])
        run_until(detached, 10, lambda: detached.stats()["passes"] >= 30)
        (_, threads, stacks, _), records = drain(detached)
    finally:
        first.set()
        second.set()
        worker.join(10)
    mine = [i for i, thread in enumerate(threads) if thread == worker.ident]
    by_position = {position: raw for position, raw, _ in records}
    assert len(mine) >= 10
    assert all(stacks[i] is None and by_position[i] == expected for i in mine)


def test_a_calm_thread_that_runs_on_where_it_waited_is_read_again_within_a_few_passes() -> None:
    """A thread found quiet for many passes has its CPU clock read every fourth pass
    only. One that then runs on in the frame it waited in, with no call or return that
    would move its thread state's stack fields, keeps its old sample 3 passes at most."""
    lock = threading.Lock()
    lock.acquire()
    state = [0]

    def waiting_then_spinning() -> None:
        lock.acquire()  # a C call: no frame of its own
        state[0] = 1
        while state[0] == 1:  # no call, no return: the stack fields stay as they were
            pass

    worker = threading.Thread(target=waiting_then_spinning)
    worker.start()
    try:
        detached = sampler()
        deadline = time.monotonic() + 10
        while (top := current_frames().get(worker.ident or 0)) is None or (
            top.f_code is not waiting_then_spinning.__code__
        ):
            assert time.monotonic() < deadline
            time.sleep(0.001)
        time.sleep(0.05)  # in lock.acquire() by now
        teach_all(detached, threads=list(current_frames()))
        detached.teach([(python_key(top, 128), 1)], [], [], [], [])
        run_until(detached, 10, lambda: detached.stats()["calm"] >= 1)  # 8 quiet, then calm
        drain(detached)
        lock.release()
        while state[0] != 1:
            time.sleep(0.001)
        reason = detached.run(0.001, 12, ME)
        (_, threads, stacks, _), _ = drain(detached)
    finally:
        state[0] = 2
        worker.join(10)
    assert reason == detached.DUE
    mine = [stacks[i] for i, thread in enumerate(threads) if thread == worker.ident]
    stale = next((i for i, stack in enumerate(mine) if stack != 1), len(mine))
    assert len(mine) == 12 and stale <= 3
    assert all(stack is None for stack in mine[stale:])  # where it spins: not taught


def test_an_untaught_thread_is_sampled_and_ends_the_run() -> None:
    detached = sampler()
    with parked(3) as top:
        worker = next(t for t, f in current_frames().items() if f is top)
        others = [t for t in current_frames() if t != worker]
        teach_all(detached, threads=others)
        reason = run_until(detached, 50, lambda: bool(detached.stats()["samples"]))
        (_, threads, _, _), _ = drain(detached)
    assert reason == detached.NEW_THREAD
    assert threads.count(worker) == 1  # the parked thread, in the one pass


def test_max_depth_keeps_the_innermost_frames() -> None:
    detached = sampler(max_depth=8)
    with parked(20) as top:
        worker = next(t for t, f in current_frames().items() if f is top)
        teach_all(detached, threads=list(current_frames()))
        run_until(detached, 1, lambda: bool(detached.stats()["samples"]))
        (_, threads, _, _), records = drain(detached)
        expected = python_key(top, 8)
    ((_, raw, lanes),) = [r for r in records if threads[r[0]] == worker]
    assert len(lanes) == 16 and raw == expected


@contextmanager
def recursing(depths: tuple[int, ...]) -> Iterator[None]:
    """A thread calling down to each of ``depths`` in turn, busy until the block ends."""
    stop = threading.Event()

    def level(n: int) -> None:
        if n:
            level(n - 1)
        else:
            sum(i * i for i in range(50))

    def busy() -> None:
        while not stop.is_set():
            for depth in depths:
                level(depth)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(10)


def read_while_it_runs(detached: Any, then: Callable[[], object] = lambda: None) -> dict[str, int]:
    """20 runs of passes over a busy thread, after ``then()``: every sample is a whole
    stack of taught codes whose lanes hash to its key, or none (counted); the stats."""
    taught = {id(code): code for code in every_code()}
    detached.teach([], list(taught.values()), [], list(current_frames()), [])
    then()
    for _ in range(20):
        run_until(detached, 10, lambda: True)
        _, records = drain(detached)
        for _, raw, lanes in records:
            if lanes is not None:
                assert hash(lanes) == raw
                assert all(lanes[i] in taught for i in range(0, len(lanes), 2))
    stats: dict[str, int] = detached.stats()
    return stats


def test_a_busy_threads_samples_are_stacks_it_was_in() -> None:
    """Read while it runs: whole stacks it was in."""
    with recursing(tuple(range(1, 12))):
        stats = read_while_it_runs(sampler())
    assert stats["samples"] >= 100


def test_interrupt_ends_a_sleep_now_or_the_next_one() -> None:
    detached = sampler()
    detached.interrupt()
    began = time.monotonic()
    assert detached.run(10.0, 5, ME) == detached.INTERRUPTED
    threading.Timer(0.05, detached.interrupt).start()
    assert detached.run(10.0, 5, ME) == detached.INTERRUPTED
    assert time.monotonic() - began < 2.0


def test_one_run_at_a_time() -> None:
    detached = sampler()
    inside = threading.Thread(target=detached.run, args=(0.5, 1, 0))
    inside.start()
    time.sleep(0.1)
    try:
        assert detached.run(0.001, 1, ME) == detached.BUSY
    finally:
        detached.interrupt()
        inside.join(5)


def test_a_thread_running_an_event_loop_ends_the_run() -> None:
    import asyncio.base_events

    loop_codes = [
        asyncio.base_events.BaseEventLoop.run_forever.__code__,
        asyncio.base_events.BaseEventLoop._run_once.__code__,
    ]
    started = threading.Event()

    async def main() -> None:
        started.set()
        await asyncio.sleep(1.0)

    worker = threading.Thread(target=asyncio.run, args=(main(),))
    worker.start()
    try:
        started.wait(5)
        time.sleep(0.1)  # in the selector's wait
        detached = sampler()
        frames = current_frames()
        codes = [code for code in codes_under(frames[worker.ident or 0]) if code not in loop_codes]
        detached.teach([], codes, loop_codes, list(frames), [])
        assert detached.run(0.001, 50, ME) == detached.EVENT_LOOP
    finally:
        worker.join(10)


def test_reset_forgets_and_lets_the_codes_go() -> None:
    detached = sampler()
    namespace: dict[str, Any] = {}
    exec("def made():\n    pass\n", namespace)
    code = namespace.pop("made").__code__
    alive = weakref.ref(code)
    detached.teach([(1, 0)], [code], [], [1], [2])
    del code
    gc.collect()
    assert alive() is not None  # held while taught
    detached.reset(False)
    assert alive() is not None  # stacks and what it was told of only
    detached.reset(True)
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda d: d.run(0.0, 1, 0), ValueError),
        (lambda d: d.run(0.01, 0, 0), ValueError),
        (lambda d: d.run("x", 1, 0), TypeError),
        (lambda d: d.run(0.01, 1, 0, 0.0, 0), ValueError),
        (lambda d: d.run(0.01, 1, 0, 0.0, "x"), TypeError),
        (lambda d: d.run(0.01, 1, 0, 0.0, None, 1), TypeError),
        (lambda d: d.teach([], [object()], [], [], []), TypeError),
        (lambda d: d.teach([(1, -1)], [], [], [], []), TypeError),
        (lambda d: d.teach([1], [], [], [], []), TypeError),
        (lambda d: d.teach([], [], [], ["x"], []), TypeError),
        (lambda d: d.teach((), [], [], [], []), TypeError),
        (lambda d: d.drain(0.0, [], [], []), TypeError),
    ],
)
def test_bad_arguments_raise_clear_errors(call: Any, error: type) -> None:
    with pytest.raises(error):
        call(sampler())


def test_bad_depth() -> None:
    sampler()
    assert scopetel_stackwalk.DetachedSampler is not None
    with pytest.raises(ValueError):
        scopetel_stackwalk.DetachedSampler(0)


@contextmanager
def churning() -> Iterator[None]:
    """Threads starting and ending all the time."""
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            short = threading.Thread(target=lambda: sum(range(1000)))
            short.start()
            short.join()

    workers = [threading.Thread(target=churn) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        yield
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)


def test_threads_coming_and_going_under_the_passes() -> None:
    detached = sampler()
    with churning():
        for _ in range(30):
            frames = current_frames()
            codes = {id(c): c for top in frames.values() for c in codes_under(top)}
            detached.teach([], list(codes.values()), [], list(frames), [])
            detached.run(0.0005, 20, ME)
            drain(detached)
    assert detached.stats()["passes"] > 0


TRACEMALLOC_CHURN = """
import faulthandler, sys, threading, time, tracemalloc
faulthandler.dump_traceback_later(20, exit=True)
tracemalloc.start()  # its raw allocator takes the GIL: a pass must never allocate
from scopetel_stackwalk import DetachedSampler

sampler = DetachedSampler(32)
stop = False

def idle():
    while not stop:
        time.sleep(0.001)

workers = [threading.Thread(target=idle) for _ in range(4)]
for worker in workers:
    worker.start()
time.sleep(0.05)
codes = []
for frame in sys._current_frames().values():
    while frame:
        codes.append(frame.f_code)
        frame = frame.f_back
sampler.teach([], codes, [], [t.ident for t in threading.enumerate()], [])

def sample():
    own = threading.get_ident()
    while not stop:
        sampler.run(0.001, 5, own)
        sampler.drain(0.0, [], [], [], [])

threading.Thread(target=sample, daemon=True).start()
deadline = time.monotonic() + 2
while time.monotonic() < deadline:  # threads start and end: the thread-list lock, the GIL
    thread = threading.Thread(target=int)
    thread.start()
    thread.join()
stop = True
print("ok", sampler.stats()["samples"] > 0)
"""


def test_no_deadlock_with_tracemalloc_and_threads_coming_and_going() -> None:
    """A review found the pass allocating (a table growing) under its locks: with
    tracemalloc on, the allocator waited for the GIL, whose holder waited for them."""
    sampler()
    done = subprocess.run(
        [sys.executable, "-c", TRACEMALLOC_CHURN], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["ok", "True"]


def test_the_file_name_of_a_code_met_is_read_without_touching_it() -> None:
    detached = sampler()
    code = test_the_file_name_of_a_code_met_is_read_without_touching_it.__code__
    assert detached.code_file(id(code)) == code.co_filename
    made = compile("x = 1", "<string made here>", "exec")
    assert detached.code_file(id(made)) == "<string made here>"
    not_ascii = compile("x = 1", "/tmp/caf\u00e9.py", "exec")
    assert detached.code_file(id(not_ascii)) is None  # only ASCII names are read
    for thing in (object(), "text", [1, 2], 8):
        assert detached.code_file(id(thing) if thing != 8 else 8) is None
    with pytest.raises(TypeError):
        detached.code_file("not an address")


RUN_ON = """
#include <Python.h>
/* call `func` on thread state `t` from the calling OS thread (an embedder that made a
 * thread state in one thread and runs it in another) */
PyObject *run_on(PyThreadState *t, PyObject *func) {
    PyThreadState *old = PyThreadState_Swap(t);
    PyObject *result = PyObject_CallNoArgs(func);
    PyThreadState_Swap(old);
    return result;
}
"""


def run_on_library(directory: Any) -> Any:
    """A tiny extension that runs a function on a given thread state (compiled here)."""
    import ctypes
    import sysconfig

    source, library = directory / "run_on.c", directory / "run_on.so"
    source.write_text(RUN_ON)
    include = sysconfig.get_paths()["include"]
    built = subprocess.run(
        ["cc", "-shared", "-fPIC", f"-I{include}", str(source), "-o", str(library)],
        capture_output=True,
    )
    if built.returncode != 0:
        pytest.skip(f"no C compiler for the helper: {built.stderr[:200]!r}")
    lib = ctypes.PyDLL(str(library))
    lib.run_on.argtypes = [ctypes.c_void_p, ctypes.py_object]
    lib.run_on.restype = ctypes.py_object
    return lib


def test_a_thread_state_run_by_another_thread_is_read_when_its_stack_moves(
    tmp_path: Any,
) -> None:
    """The clock read is that of the thread that made the thread state; the one running
    it moves its frames meanwhile: the thread state's own stack fields tell."""
    import ctypes

    detached = sampler()
    lib = run_on_library(tmp_path)
    api = ctypes.pythonapi
    api.PyInterpreterState_Get.restype = ctypes.c_void_p
    api.PyThreadState_New.argtypes = [ctypes.c_void_p]
    api.PyThreadState_New.restype = ctypes.c_void_p
    made, stop = threading.Event(), threading.Event()
    box: dict[str, int] = {}

    def creator() -> None:  # makes the thread state, then waits: its clock stands still
        box["state"] = api.PyThreadState_New(api.PyInterpreterState_Get())
        made.set()
        stop.wait(30)

    first, second, there = threading.Event(), threading.Event(), threading.Event()

    def second_place() -> None:
        there.set()
        second.wait(30)

    def first_place() -> None:
        first.wait(30)
        at_depth(5, second_place)

    maker = threading.Thread(target=creator, daemon=True)
    maker.start()
    made.wait(5)
    runner = threading.Thread(target=lambda: lib.run_on(box["state"], first_place), daemon=True)
    runner.start()
    try:
        time.sleep(0.3)
        teach_all(detached, threads=[*current_frames(), maker.ident or 0])
        run_until(detached, 5, lambda: detached.stats()["passes"] >= 5)
        (_, threads, _, _), records = drain(detached)
        # under the maker's thread id: its own thread state (waiting) and the one made
        waiting = {
            raw
            for position, raw, lanes in records
            if threads[position] == maker.ident
            and lanes is not None
            and id(first_place.__code__) in lanes[::2]
        }
        assert len(waiting) == 1  # the thread state made, run by the other thread
        detached.teach([(waiting.pop(), 100)], [], [], [], [])
        run_until(detached, 5, lambda: detached.stats()["passes"] >= 10)
        drain(detached)
        first.set()
        assert there.wait(5)
        time.sleep(0.1)  # its frames are in second_place now
        run_until(detached, 5, lambda: detached.stats()["passes"] >= 20)
        (_, threads, stacks, _), records = drain(detached)
    finally:
        first.set()
        second.set()
        stop.set()
        runner.join(10)
    mine = [i for i, thread in enumerate(threads) if thread == maker.ident]
    lanes = {position: found for position, _, found in records if found is not None}
    assert mine and 100 not in {stacks[i] for i in mine}  # the old stack is not repeated
    assert any(id(second_place.__code__) in found[::2] for found in lanes.values())


def test_hundreds_of_quiet_threads_are_all_remembered() -> None:
    """What each thread's last sample was is kept in a table of 512 slots: keyed by the
    thread state's serial id (consecutive for threads started together), hundreds of
    idle threads do not evict one another, and each has its sample repeated unread."""
    detached = sampler()
    stop = threading.Event()
    idle = [threading.Thread(target=stop.wait) for _ in range(300)]
    for thread in idle:
        thread.start()
    try:
        teach_all(detached, threads=list(current_frames()))
        run_until(detached, 20, lambda: detached.stats()["passes"] >= 20)  # calm by then
        drain(detached)
        before = detached.stats()
        run_until(detached, 10, lambda: detached.stats()["passes"] >= before["passes"] + 10)
        drain(detached)
        after = detached.stats()
    finally:
        stop.set()
        for thread in idle:
            thread.join()
    samples = after["samples"] - before["samples"]
    quiet = after["quiet"] - before["quiet"]
    assert samples >= 300 * 10
    # all but the first pass after the drain (stacks not taught: read again then); keyed
    # by address, about half of these samples were read
    assert quiet >= 0.85 * 300 * 10
    # and most of those without reading the thread's clock (a system call) either
    assert after["calm"] - before["calm"] >= 0.6 * quiet
