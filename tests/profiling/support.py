"""Helpers of the profiling tests: a busy function, chunk decoding, the receiver set-up."""

import time
from collections import Counter
from typing import Any

import scopetel
from scopetel._profiling import session
from tests.support.sentry_receiver import SentryReceiver

Chunk = dict[str, Any]


def spin(seconds: float) -> int:
    """Pure-Python work for ``seconds`` of wall time: the function profiles must show."""
    total = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for number in range(500):
            total += number * number
    return total


def init(receiver: SentryReceiver, **options: Any) -> None:
    scopetel.init(
        dsn=receiver.dsn,
        release="prof@1",
        default_integrations=False,
        **options,
    )


def chunks(receiver: SentryReceiver) -> list[Chunk]:
    return [item.json for item in receiver.items("profile_chunk")]


def wait_for_chunks(receiver: SentryReceiver, count: int = 1) -> list[Chunk]:
    receiver.wait_for(lambda: len(chunks(receiver)) >= count, timeout=10)
    return chunks(receiver)


def functions(chunk: Chunk, stack_id: int) -> list[str]:
    """The functions of a stack, innermost first."""
    profile = chunk["profile"]
    return [profile["frames"][index]["function"] for index in profile["stacks"][stack_id]]


def samples_of(chunk: Chunk, thread_id: str) -> list[dict[str, Any]]:
    return [s for s in chunk["profile"]["samples"] if s["thread_id"] == thread_id]


def share_in(chunk: Chunk, samples: list[dict[str, Any]], function: str) -> float:
    """The share of ``samples`` whose stack contains ``function``."""
    if not samples:
        return 0.0
    hits = sum(1 for s in samples if function in functions(chunk, s["stack_id"]))
    return hits / len(samples)


def leaf_counts(chunk: Chunk, samples: list[dict[str, Any]]) -> Counter[str]:
    """How often each function is the innermost frame, over ``samples``."""
    return Counter(functions(chunk, s["stack_id"])[0] for s in samples)


def busiest_thread(chunk: Chunk, function: str) -> str:
    """The thread whose samples most often contain ``function``."""
    counts: Counter[str] = Counter()
    for sample in chunk["profile"]["samples"]:
        if function in functions(chunk, sample["stack_id"]):
            counts[sample["thread_id"]] += 1
    assert counts, f"no sample contains {function}"
    return counts.most_common(1)[0][0]


def learned(timeout: float) -> bool:
    """Wait until passes without the GIL (if any) have learned the code the threads run:
    a search, which a large process (a test run's) takes a second or more to end."""
    active = session._active
    passes = None if active is None else active.profiler._passes
    deadline = time.monotonic() + timeout
    while passes is not None and time.monotonic() < deadline:
        if passes.knows_the_code and not passes.learning:
            return True
        time.sleep(0.05)
    return passes is None
