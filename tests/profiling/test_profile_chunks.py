"""Profile chunks decoded from a real loopback Sentry endpoint (issue 16's "done when").

A known busy function dominates the samples of the thread running it; frames are in-app
as configured; chunks link to the transaction open at the time; asyncio samples name
their task; rate limits and client reports apply to ``profile_chunk`` items.
"""

import asyncio
import threading

import scopetel
from scopetel.profiler import start_profiler, stop_profiler
from tests.profiling.support import (
    busiest_thread,
    functions,
    init,
    leaf_counts,
    samples_of,
    share_in,
    spin,
    wait_for_chunks,
)
from tests.support.sentry_receiver import Reply, SentryReceiver


def test_busy_function_dominates_its_threads_samples(receiver: SentryReceiver, walk: str) -> None:
    init(receiver, profile_session_sample_rate=1.0)
    start_profiler()
    worker = threading.Thread(target=spin, args=(0.6,), name="spinner")
    worker.start()
    worker.join()
    stop_profiler()
    (chunk,) = wait_for_chunks(receiver)
    thread_id = busiest_thread(chunk, "spin")
    assert chunk["profile"]["thread_metadata"][thread_id] == {"name": "spinner"}
    samples = samples_of(chunk, thread_id)
    assert len(samples) >= 5
    assert share_in(chunk, samples, "spin") >= 0.75
    assert leaf_counts(chunk, samples).most_common(1)[0][0] == "spin"
    main = str(threading.main_thread().ident)
    # meanwhile the main thread waited in join(): sampled, not spinning
    assert share_in(chunk, samples_of(chunk, main), "spin") == 0.0
    assert any("Thread.join" in functions(chunk, s["stack_id"]) for s in samples_of(chunk, main))


def test_frames_are_in_app_as_configured(receiver: SentryReceiver) -> None:
    init(
        receiver,
        profile_session_sample_rate=1.0,
        in_app_exclude=["tests.profiling"],
        in_app_include=["threading"],
    )
    start_profiler()
    spin(0.3)
    stop_profiler()
    (chunk,) = wait_for_chunks(receiver)
    frames = chunk["profile"]["frames"]
    ours = [f for f in frames if f.get("module") == "tests.profiling.support"]
    stdlib = [f for f in frames if f.get("module") == "threading"]
    assert ours and stdlib
    assert all(f["in_app"] is False for f in ours)
    assert all(f["in_app"] is True for f in stdlib)
    spin_frame = next(f for f in ours if f["function"] == "spin")
    assert spin_frame["filename"] == "tests/profiling/support.py"
    assert spin_frame["abs_path"].endswith("/tests/profiling/support.py")


def test_default_in_app_marks_libraries_out(receiver: SentryReceiver) -> None:
    init(receiver, profile_session_sample_rate=1.0)
    start_profiler()
    spin(0.3)
    stop_profiler()
    (chunk,) = wait_for_chunks(receiver)
    by_module = {f.get("module"): f["in_app"] for f in chunk["profile"]["frames"]}
    assert by_module["tests.profiling.support"] is True
    assert by_module["threading"] is False  # standard library


def test_chunk_links_to_the_transaction_open_at_the_time(receiver: SentryReceiver) -> None:
    init(
        receiver,
        traces_sample_rate=1.0,
        profile_session_sample_rate=1.0,
        profile_lifecycle="trace",
    )
    with scopetel.start_transaction(name="checkout", op="task"):
        with scopetel.start_span(op="compute", name="spin"):
            spin(0.5)
    scopetel.flush(timeout=5.0)
    receiver.wait_for(lambda: receiver.transactions())
    (chunk,) = wait_for_chunks(receiver)
    (transaction,) = receiver.transactions()
    profiler_id = transaction["contexts"]["profile"]["profiler_id"]
    assert profiler_id == chunk["profiler_id"]
    root_data = transaction["contexts"]["trace"]["data"]
    assert root_data["profiler_id"] == profiler_id
    thread_id = root_data["thread.id"]
    assert thread_id == str(threading.get_ident())
    assert root_data["thread.name"] == threading.current_thread().name
    # the child ran on the root's thread: Sentry gives it the transaction's links
    (span,) = transaction["spans"]
    assert not {"profiler_id", "thread.id", "thread.name"} & set(span.get("data", {}))
    during = [
        s
        for s in samples_of(chunk, thread_id)
        if span["start_timestamp"] <= s["timestamp"] <= span["timestamp"]
    ]
    assert len(during) >= 5
    assert share_in(chunk, during, "spin") >= 0.75


def test_trace_lifecycle_samples_only_while_a_root_span_is_open(
    receiver: SentryReceiver,
) -> None:
    init(
        receiver,
        traces_sample_rate=1.0,
        profile_session_sample_rate=1.0,
        profile_lifecycle="trace",
    )
    spin(0.2)  # no root span open: not profiled
    with scopetel.start_transaction(name="profiled"):
        spin(0.3)
    spin(0.2)
    with scopetel.start_transaction(name="profiled again"):
        spin(0.3)
    scopetel.flush(timeout=5.0)
    receiver.wait_for(lambda: len(receiver.transactions()) == 2)
    (chunk,) = wait_for_chunks(receiver)
    main = samples_of(chunk, str(threading.get_ident()))
    windows = [(t["start_timestamp"], t["timestamp"]) for t in receiver.transactions()]
    outside = [s for s in main if not any(start <= s["timestamp"] <= end for start, end in windows)]
    # a sample taken as a root ends may fall a clock tick outside it; never whole spins
    assert len(outside) <= 2, outside
    assert len(main) >= 5
    assert transaction_ids(receiver) == {chunk["profiler_id"]}


def test_a_span_on_another_thread_names_its_thread(receiver: SentryReceiver) -> None:
    init(receiver, traces_sample_rate=1.0, profile_session_sample_rate=1.0)
    start_profiler()
    with scopetel.start_transaction(name="fan-out") as root:

        def work() -> None:
            with root.start_child(op="compute", name="in a worker"):
                spin(0.3)  # enough samples for a majority on a loaded machine (0.1 s gave 2 once)

        worker = threading.Thread(target=work, name="fan-out-worker")
        worker.start()
        worker.join()
    stop_profiler()
    scopetel.flush(timeout=5.0)
    receiver.wait_for(lambda: receiver.transactions())
    (transaction,) = receiver.transactions()
    (span,) = transaction["spans"]
    assert span["data"]["thread.id"] == str(worker.ident)
    assert span["data"]["thread.name"] == "fan-out-worker"
    assert "profiler_id" not in span["data"]  # the transaction's, in contexts.profile
    (chunk,) = wait_for_chunks(receiver)
    assert transaction["contexts"]["profile"]["profiler_id"] == chunk["profiler_id"]
    assert share_in(chunk, samples_of(chunk, str(worker.ident)), "spin") > 0.5


def transaction_ids(receiver: SentryReceiver) -> set[str]:
    return {t["contexts"]["profile"]["profiler_id"] for t in receiver.transactions()}


def test_samples_on_an_event_loop_name_the_running_task(receiver: SentryReceiver) -> None:
    async def crunch() -> None:
        spin(0.3)  # holds the loop: no other task runs meanwhile
        await asyncio.sleep(0)
        spin(0.3)

    async def idle() -> None:
        await asyncio.sleep(0.8)

    async def main() -> None:
        await asyncio.gather(
            asyncio.create_task(crunch(), name="crunch-orders"),
            asyncio.create_task(idle(), name="idle-poller"),
        )

    init(receiver, profile_session_sample_rate=1.0)
    start_profiler()
    loop_thread = threading.Thread(target=asyncio.run, args=(main(),), name="loop")
    loop_thread.start()
    loop_thread.join()
    stop_profiler()
    (chunk,) = wait_for_chunks(receiver)
    samples = samples_of(chunk, str(loop_thread.ident))
    crunching = [s for s in samples if s.get("task_name") == "crunch-orders"]
    assert len(crunching) >= 5
    assert share_in(chunk, crunching, "spin") >= 0.75
    # the idle task runs only for the moments it starts and wakes (a slow machine may
    # catch one): never while crunch's code is on the stack; the loop waiting runs no task
    polling = [s for s in samples if s.get("task_name") == "idle-poller"]
    assert len(polling) <= 2 and share_in(chunk, polling, "spin") == 0.0
    waiting = [s for s in samples if "task_name" not in s]
    assert waiting and share_in(chunk, waiting, "spin") == 0.0
    # other threads run no task
    assert all("task_name" not in s for s in chunk["profile"]["samples"] if s not in samples)


def test_rate_limits_and_client_reports_apply_to_chunks(receiver: SentryReceiver) -> None:
    init(receiver, profile_session_sample_rate=1.0)
    receiver.reply(Reply(429, {"X-Sentry-Rate-Limits": "60:profile_chunk:organization"}))
    start_profiler()
    spin(0.2)
    scopetel.flush(timeout=5.0)  # the first chunk: answered 429
    spin(0.2)
    stop_profiler()  # the second: never sent while the limit holds
    scopetel.capture_message("other categories still go")
    scopetel.flush(timeout=5.0)
    receiver.wait_for(lambda: receiver.events())
    receiver.wait_for(lambda: receiver.discarded("ratelimit_backoff", "profile_chunk") == 2)
    assert receiver.items("profile_chunk") == []
