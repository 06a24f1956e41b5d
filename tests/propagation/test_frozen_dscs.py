"""The table of frozen DSCs: the first DSC of a trace wins for as long as the trace is
remembered, and the table keeps strings, not objects the garbage collector visits."""

import gc
import threading

from scopetel._propagation.dsc import DynamicSamplingContext
from scopetel._propagation.frozen_dscs import MAX_OBJECTS, FrozenDscs


def _dsc(
    trace_id: int, name: str, extra: tuple[tuple[str, str], ...] = ()
) -> DynamicSamplingContext:
    return DynamicSamplingContext(
        trace_id=f"{trace_id:032x}",
        public_key="key",
        sample_rate="0.5",
        sample_rand="0.25",
        sampled="true",
        release=f"rel-{trace_id}",
        environment="prod",
        transaction=name,
        extra=extra,
    )


def test_the_first_dsc_of_a_trace_wins_long_after_its_object_is_let_go() -> None:
    table = FrozenDscs(max_traces=1_000)
    first = _dsc(1, "GET /a", extra=(("replay_id", "r1"),))
    assert table.freeze(1, lambda: first) is first
    for trace in range(2, 2 + 4 * MAX_OBJECTS):  # many newer traces
        table.freeze(trace, lambda trace=trace: _dsc(trace, "GET /b"))
    later = table.freeze(1, lambda: _dsc(1, "renamed"))
    assert later == first  # rebuilt from its values: equal, same strings
    assert later.transaction == "GET /a" and later.extra == (("replay_id", "r1"),)
    assert table.freeze(1, lambda: _dsc(1, "again")) is later  # kept as an object again


def test_least_recently_used_traces_are_forgotten() -> None:
    table = FrozenDscs(max_traces=3)
    for trace in (1, 2, 3):
        table.freeze(trace, lambda trace=trace: _dsc(trace, "old"))
    table.freeze(1, lambda: _dsc(1, "unused"))  # 1 is used again: 2 is now the oldest
    table.freeze(4, lambda: _dsc(4, "old"))
    assert table.freeze(2, lambda: _dsc(2, "new")).transaction == "new"
    assert table.freeze(1, lambda: _dsc(1, "new")).transaction == "old"


def test_frozen_traces_are_not_objects_the_collector_visits() -> None:
    table = FrozenDscs(max_traces=10_000)
    first = 0xF0F0 << 64  # trace ids no other test uses (other clients' tables live on)
    traces = range(first, first + 5_000)
    for trace in traces:
        table.freeze(trace, lambda trace=trace: _dsc(trace, f"GET /{trace}"))
    gc.collect()
    gc.collect()  # a tuple is untracked once its items are (the extra pairs first)
    ours = {f"{trace:032x}" for trace in traces}
    # (``type``, not ``isinstance``: a lazy object of another test would be evaluated)
    tracked = [
        o for o in gc.get_objects() if type(o) is DynamicSamplingContext and o.trace_id in ours
    ]
    assert len(tracked) <= MAX_OBJECTS
    assert table.freeze(first + 17, lambda: _dsc(17, "x")).transaction == f"GET /{first + 17}"


def test_two_threads_freezing_one_trace_get_the_same_values() -> None:
    table = FrozenDscs()
    start = threading.Barrier(2)
    got: list[DynamicSamplingContext] = []

    def build(name: str) -> DynamicSamplingContext:
        start.wait()  # both build before either stores
        return _dsc(9, name)

    threads = [
        threading.Thread(target=lambda n=name: got.append(table.freeze(9, lambda: build(n))))
        for name in ("first", "second")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 2 and got[0] == got[1]


def test_a_finalizer_asking_while_its_thread_holds_the_lock_is_not_made_to_wait() -> None:
    """A collection set off under the lock runs finalizers in that thread; one that ends
    a span asks for a DSC: it gets a fresh one instead of waiting for itself."""
    table = FrozenDscs()
    asked: list[DynamicSamplingContext] = []

    def build() -> DynamicSamplingContext:
        if not asked:  # as if a finalizer ran now, with the lock held by this thread
            with table._lock:
                asked.append(table.freeze(2, lambda: _dsc(2, "from a finalizer")))
        return _dsc(1, "outer")

    finished = threading.Event()
    worker = threading.Thread(target=lambda: (table.freeze(1, build), finished.set()), daemon=True)
    worker.start()
    assert finished.wait(5), "freeze waited for the lock its own thread held"
    worker.join()
    assert asked[0].transaction == "from a finalizer"
