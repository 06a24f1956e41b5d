"""Threads and thread pools run in their submitter's Context, with forked scopes."""

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from opentelemetry import trace
from scopetel_instrumentation_stdlib.threads import ThreadingInstrumentor, context_of
from stdlib_support import capturing, instrumented, uninstrumented

import scopetel

tracer = trace.get_tracer("tests.threads")


@pytest.fixture
def threads() -> Iterator[ThreadingInstrumentor]:
    with instrumented(ThreadingInstrumentor()) as instrumentor:
        yield instrumentor


def _parent_span_id() -> int | None:
    with tracer.start_as_current_span("job") as span:
        parent = span.parent  # type: ignore[attr-defined]
        return None if parent is None else parent.span_id


def test_uninstrument_restores_the_originals_exactly() -> None:
    uninstrumented(ThreadingInstrumentor())
    start = threading.Thread.__dict__["start"]
    submit = ThreadPoolExecutor.__dict__["submit"]
    with instrumented(ThreadingInstrumentor()):
        assert threading.Thread.__dict__["start"] is not start
        assert ThreadPoolExecutor.__dict__["submit"] is not submit
    assert threading.Thread.__dict__["start"] is start
    assert ThreadPoolExecutor.__dict__["submit"] is submit
    assert "start" not in threading.Timer.__dict__


def test_ten_thousand_pool_jobs_all_get_their_submitters_span(threads) -> None:
    """100 requests each submit 100 jobs (naively) to one 8-thread pool and wait."""
    expected: list[int] = []
    parents: list[int | None] = []
    with capturing(traces_sample_rate=1.0, max_spans=200) as transport:
        with ThreadPoolExecutor(max_workers=8) as pool:
            for index in range(100):
                with tracer.start_as_current_span(f"request-{index}") as request:
                    jobs = [pool.submit(_parent_span_id) for _ in range(100)]
                    parents.extend(job.result(timeout=30) for job in jobs)
                    expected.extend([request.get_span_context().span_id] * 100)
    assert len(parents) == 10_000
    assert sum(1 for got, want in zip(parents, expected, strict=True) if got != want) == 0
    transactions = transport.transactions()
    assert len(transactions) == 100
    for transaction in transactions:
        root = transaction["contexts"]["trace"]["span_id"]
        assert len(transaction["spans"]) == 100
        assert {span["parent_span_id"] for span in transaction["spans"]} == {root}


def test_without_instrumentation_pool_jobs_lose_the_parent() -> None:
    uninstrumented(ThreadingInstrumentor())
    with capturing(traces_sample_rate=1.0), ThreadPoolExecutor(max_workers=2) as pool:
        with tracer.start_as_current_span("submitter"):
            parents = [pool.submit(_parent_span_id).result() for _ in range(4)]
    assert parents == [None] * 4


def test_map_and_threads_and_timers_and_subclasses(threads) -> None:
    class Worker(threading.Thread):
        def run(self) -> None:
            self.parent = _parent_span_id()

    with capturing(traces_sample_rate=1.0):
        with tracer.start_as_current_span("submitter") as submitter:
            want = submitter.get_span_context().span_id
            with ThreadPoolExecutor(max_workers=3) as pool:
                mapped = list(pool.map(lambda _: _parent_span_id(), range(6)))
            found: list[int | None] = []
            thread = threading.Thread(target=lambda: found.append(_parent_span_id()))
            timer = threading.Timer(0.001, lambda: found.append(_parent_span_id()))
            worker = Worker()
            for started in (thread, timer, worker):
                started.start()
            for started in (thread, timer, worker):
                started.join(5)
    assert mapped == [want] * 6
    assert found == [want, want]
    assert worker.parent == want
    assert "run" not in worker.__dict__ or context_of(worker) is not None


def test_a_thread_started_twice_is_left_as_it_was(threads) -> None:
    thread = threading.Thread(target=lambda: None)
    thread.start()
    thread.join()
    bound_run = thread.__dict__["run"]
    with pytest.raises(RuntimeError):
        thread.start()
    assert thread.__dict__["run"] is bound_run


def test_pool_threads_start_with_an_empty_context(threads) -> None:
    with capturing(traces_sample_rate=1.0), ThreadPoolExecutor(max_workers=1) as pool:
        with tracer.start_as_current_span("first submitter"):
            pool.submit(lambda: None).result()
        workers = [t for t in threading.enumerate() if t.name.startswith("ThreadPoolExecutor")]
        assert workers and all(context_of(worker) is None for worker in workers)
        assert pool.submit(_parent_span_id).result() is None


def test_job_tags_never_leak_to_the_next_job_or_the_submitter(threads) -> None:
    def tagging_job(index: int) -> dict[str, str]:
        scopetel.set_tag(f"job-{index}", "set")
        scopetel.capture_message(f"job {index}")
        return dict(scopetel.get_isolation_scope().data.tags)

    with capturing() as transport, ThreadPoolExecutor(max_workers=1) as pool:
        with scopetel.isolation_scope():
            scopetel.set_tag("request", "r1")
            tags = [pool.submit(tagging_job, index).result() for index in range(3)]
            scopetel.set_tag("after", "submit")
            pool.submit(scopetel.capture_message, "last job").result()
            submitter_tags = dict(scopetel.get_isolation_scope().data.tags)
    assert tags == [{"request": "r1", f"job-{index}": "set"} for index in range(3)]
    assert submitter_tags == {"request": "r1", "after": "submit"}
    events = transport.events()
    assert [event["tags"] for event in events] == [
        {"request": "r1", "job-0": "set"},
        {"request": "r1", "job-1": "set"},
        {"request": "r1", "job-2": "set"},
        {"request": "r1", "after": "submit"},
    ]


def test_run_in_executor_and_to_thread_get_the_awaiting_span(threads) -> None:
    async def main() -> tuple[list[int | None], int]:
        loop = asyncio.get_running_loop()
        with tracer.start_as_current_span("handler") as handler:
            with ThreadPoolExecutor(max_workers=2) as pool:
                own = await loop.run_in_executor(pool, _parent_span_id)
            default = await loop.run_in_executor(None, _parent_span_id)
            to_thread = await asyncio.to_thread(_parent_span_id)
            return [own, default, to_thread], handler.get_span_context().span_id

    with capturing(traces_sample_rate=1.0):
        parents, want = asyncio.run(main())
    assert parents == [want] * 3


def test_to_thread_work_gets_a_fork_of_the_scopes(threads) -> None:
    async def main() -> dict[str, str]:
        with scopetel.isolation_scope():
            await asyncio.to_thread(scopetel.set_tag, "from", "thread")
            return dict(scopetel.get_isolation_scope().data.tags)

    with capturing():
        assert asyncio.run(main()) == {}
