"""A pass of ``sample_threads`` keys each thread as ``stack_hash`` keys its frame object
(and so as the Python walk does), and fills the chunk's columns only where it may."""

import asyncio
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest
import scopetel_stackwalk
from hypothesis import given, settings
from hypothesis import strategies as st
from other_frames import current_frames
from test_stackwalk import at_depth, blocked_top, python_key

Columns = tuple[list[float], list[int], list[int], list[str | None]]


def sample() -> scopetel_stackwalk.SampleThreads:
    if scopetel_stackwalk.sample_threads is None:
        pytest.skip("built without sample_threads (no C part, or an unknown CPython)")
    return scopetel_stackwalk.sample_threads


def every_key(max_depth: int = 128, skip: int = 0) -> dict[int, int]:
    """Each thread's raw key: with no stack known, every thread is handed back."""
    rest = sample()(max_depth, skip, {}, {}, 0.0, {}, [], [], [], [])
    assert rest is not None
    return dict(rest)


@contextmanager
def parked(
    depth: int, how: Callable[[threading.Event], object] | None = None
) -> Iterator[FrameType]:
    """A thread blocked in ``Event.wait`` under ``depth`` calls; its innermost frame."""
    release = threading.Event()
    worker = threading.Thread(
        target=lambda: at_depth(depth, lambda: (how or (lambda e: e.wait(10)))(release))
    )
    worker.start()
    try:
        yield blocked_top(worker)
    finally:
        release.set()
        worker.join(10)


def test_the_threads_are_those_of_current_frames_and_skip_is_left_out() -> None:
    with parked(3), parked(5):
        frames = current_frames()
        keys = every_key()
        assert set(keys) == set(frames)
        me = threading.get_ident()
        assert set(every_key(skip=me)) == set(frames) - {me}


@settings(max_examples=40, deadline=None)
@given(depth=st.integers(0, 200), max_depth=st.integers(0, 300))
def test_a_blocked_threads_key_is_its_frame_objects(depth: int, max_depth: int) -> None:
    with parked(depth) as top:
        ident = next(t for t, f in current_frames().items() if f is top)
        key = every_key(max_depth)[ident]
        assert key == python_key(top, max_depth)
        assert key == scopetel_stackwalk.stack_hash(top, max_depth)  # type: ignore[misc]


def test_threads_in_generators_coroutines_and_an_event_loop() -> None:
    def in_generator(event: threading.Event) -> None:
        def numbers() -> Iterator[int]:
            event.wait(10)
            yield 1

        list(numbers())

    async def waiting(event: threading.Event) -> None:
        await asyncio.sleep(0)
        event.wait(10)  # blocks the loop's thread inside a task's coroutine

    def in_loop(event: threading.Event) -> None:
        asyncio.run(waiting(event))

    for how in (in_generator, in_loop):
        with parked(4, how) as top:
            ident = next(t for t, f in current_frames().items() if f is top)
            assert every_key()[ident] == python_key(top, 128)


def test_running_threads_keys_match_while_they_cannot_run() -> None:
    """Busy threads (new frames every few microseconds) compared with the GIL kept."""
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            sum(i * i for i in range(50))

    workers = [threading.Thread(target=lambda: at_depth(20, busy)) for _ in range(3)]
    for worker in workers:
        worker.start()
    interval = sys.getswitchinterval()
    try:
        for _ in range(200):
            sys.setswitchinterval(100)  # nobody else runs until the next sleep
            try:
                keys = every_key(skip=threading.get_ident())  # this thread moves on
                frames = current_frames()
                mismatched = [t for t, k in keys.items() if k != python_key(frames[t], 128)]
            finally:
                sys.setswitchinterval(interval)
            assert mismatched == []
            stop.wait(0.001)
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)


def test_known_threads_at_known_stacks_are_appended_the_rest_returned() -> None:
    with parked(2) as first, parked(6) as second:
        frames = current_frames()
        one, two = (next(t for t, f in frames.items() if f is top) for top in (first, second))
        keys = every_key()
        columns: Columns = ([], [], [], [])
        stacks = {keys[one]: 7, keys[two]: 8}
        names = {one: "one", threading.get_ident(): "me"}  # two: a new thread
        tasks = {one: "task-1"}
        rest = sample()(128, 0, stacks, names, 12.5, tasks, *columns)
        assert columns == ([12.5], [one], [7], ["task-1"])
        assert rest is not None
        returned = dict(rest)
        assert returned[two] == keys[two]  # named nowhere: back to the caller
        assert set(returned) == set(keys) - {one}
        assert stacks == {keys[one]: 7, keys[two]: 8}  # nothing added to the dicts
        assert names == {one: "one", threading.get_ident(): "me"}

        everyone = {thread: f"t{thread}" for thread in keys}
        me = threading.get_ident()
        every_stack = {raw: 0 for raw in every_key(skip=me).values()}
        columns = ([], [], [], [])
        assert sample()(128, me, every_stack, everyone, 1.0, {}, *columns) is None
        assert sorted(columns[1]) == sorted(set(keys) - {me})
        assert columns[3] == [None] * len(columns[1])


ARGS: tuple[Any, ...] = (128, 0, {}, {}, 0.0, {}, [], [], [], [])


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({0: -1}, ValueError),
        ({0: "128"}, TypeError),
        ({0: 2**80}, OverflowError),
        ({1: -1}, OverflowError),
        ({2: []}, TypeError),
        ({3: None}, TypeError),
        ({5: [1]}, TypeError),
        ({6: ()}, TypeError),
        ({9: {}}, TypeError),
    ],
)
def test_bad_arguments_raise_clear_errors(change: dict[int, object], error: type) -> None:
    args: list[Any] = [change.get(i, arg) for i, arg in enumerate(ARGS)]
    with pytest.raises(error):
        sample()(*args)
    with pytest.raises(TypeError):
        sample()(*ARGS[:9])


FOREIGN_THREADS = """
import ctypes, sys, threading, time
from scopetel_stackwalk import sample_threads

libc = ctypes.CDLL(None)
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)

@CALLBACK
def callback(arg):  # on a pthread C made: PyGILState_Ensure makes a thread state
    return None

stop, made = threading.Event(), [0]

def foreign_threads():
    while not stop.is_set():
        ident = ctypes.c_ulong()
        if libc.pthread_create(ctypes.byref(ident), None, callback, None) == 0:
            libc.pthread_join(ident, None)  # ctypes lets the GIL go meanwhile
            made[0] += 1

maker = threading.Thread(target=foreign_threads)
maker.start()
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    sample_threads(128, 0, {}, {}, 0.0, {}, [], [], [], [])
stop.set()
maker.join()
print(made[0])
"""


def test_threads_that_c_code_starts_and_ends_meanwhile() -> None:
    """A thread state is linked and filled in without the GIL when C code calls into
    Python from a thread of its own (ctypes callbacks, embedding servers): the pass
    reads the thread list under the runtime's lock, as ``sys._current_frames()`` does.
    Without it this crashed within milliseconds on 3.11."""
    sample()
    if sys.platform != "linux":
        pytest.skip("pthread_create through ctypes: Linux")
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", FOREIGN_THREADS, "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 50  # foreign threads came and went while it sampled
