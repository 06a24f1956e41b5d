"""The sampler under stacks that change as it reads them: threads starting and ending by
the hundred, a recursion deeper than a stack is kept, generators resumed from different
callers, code compiled from strings with odd file names, at 1,000 passes a second, with
each stack walk (the C key and the Python one)."""

import itertools
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from scopetel.profiler import start_profiler, stop_profiler
from tests.profiling.support import functions, init, learned, samples_of, wait_for_chunks
from tests.support.sentry_receiver import SentryReceiver

SECONDS = 1.5


def churn(stop: threading.Event, started: list[int]) -> None:
    """Threads that live for a few frames."""

    def short_lived(depth: int) -> int:
        return short_lived(depth - 1) if depth else sum(range(50))

    while not stop.is_set():
        threads = [threading.Thread(target=short_lived, args=(n % 20,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        started[0] += len(threads)


def recurse(depth: int, stop: threading.Event) -> None:
    if depth:
        recurse(depth - 1, stop)
    else:
        while not stop.is_set():
            sum(range(100))


def numbers() -> Iterator[int]:
    while True:
        yield sum(range(200))


def resume_from_two_callers(stop: threading.Event) -> None:
    generator = numbers()

    def caller_a() -> int:
        return next(generator)

    def caller_b() -> int:
        return next(generator)

    while not stop.is_set():
        caller_a()
        caller_b()


def compiled_code(stop: threading.Event) -> None:
    namespace: dict[str, object] = {}
    source = "def odd(stop):\n    while not stop.is_set():\n        sum(range(100))\n"
    exec(compile(source, "<odd \udcff name \n?>", "exec"), namespace)
    namespace["odd"](stop)  # type: ignore[operator]


def test_stacks_changing_under_the_sampler(receiver: SentryReceiver, walk: str) -> None:
    init(receiver, profile_session_sample_rate=1.0, profiler_frequency=1000)
    stop = threading.Event()
    started = [0]
    deep = threading.Thread(target=recurse, args=(600, stop), name="deep")
    workers = [
        threading.Thread(target=churn, args=(stop, started), name="churn"),
        deep,
        threading.Thread(target=resume_from_two_callers, args=(stop,), name="generator"),
        threading.Thread(target=compiled_code, args=(stop,), name="compiled"),
    ]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 2000))
    try:
        start_profiler()
        if not learned(timeout=20.0):  # without the GIL: the code search of a large process
            stop_profiler()
            pytest.skip("the code search did not end in 20 s (a large process: why it is opt-in)")
        began = time.time()
        for worker in workers:
            worker.start()
        time.sleep(SECONDS)
        stop.set()
        for worker in workers:
            worker.join(10)
        stop_profiler()
    finally:
        sys.setrecursionlimit(limit)
    (chunk,) = wait_for_chunks(receiver)
    profile = chunk["profile"]
    assert started[0] >= 16  # threads came and went while it sampled
    timestamps = sorted({s["timestamp"] for s in profile["samples"]})
    # passes went on through it all (fewer: the 10 % cap; without the GIL, a run ends
    # at each new thread, and the compiled code's search takes steps)
    assert len(timestamps) >= (10 if walk == "detached" else 30)

    gaps = sorted(((b - a), a - began) for a, b in itertools.pairwise(timestamps))[-3:]
    assert timestamps[-1] - timestamps[0] > SECONDS * 0.8, (
        timestamps[0] - began,
        timestamps[-1] - began,
        gaps,
    )
    deep_samples = samples_of(chunk, str(deep.ident))
    assert deep_samples
    depths = [len(profile["stacks"][s["stack_id"]]) for s in deep_samples]
    assert max(depths) == 128  # the innermost frames of a deeper stack, never more
    # (a sample may catch the thread starting, before it recursed)
    cut = [s for s, depth in zip(deep_samples, depths, strict=True) if depth == 128]
    for sample in cut:  # recurse's frames, innermost maybe in the loop's is_set()
        assert set(functions(chunk, sample["stack_id"])) <= {"recurse", "Event.is_set"}
        assert functions(chunk, sample["stack_id"])[-1] == "recurse"
    names = {f["function"] for f in profile["frames"]}
    assert {"numbers", "odd"} <= names
    odd = next(f for f in profile["frames"] if f["function"] == "odd")
    assert "\udcff" not in str(odd.get("filename", ""))  # made encodable as UTF-8
