"""The bugs scopetel exists to fix: asyncio.gather chains, scope leaks through
generators, exits in another thread or out of order (DESIGN.md, "Why it exists")."""

import asyncio
import contextvars
import logging
import threading
from collections.abc import Iterator

import pytest

import scopetel
from scopetel.testing import capture_envelopes


@pytest.fixture
def transport() -> Iterator[object]:
    with capture_envelopes(traces_sample_rate=1.0, dsn=None) as captured:
        yield captured


def test_gather_of_traced_coroutines_makes_siblings_and_restores_the_caller(transport) -> None:
    seen: dict[int, tuple[str | None, str]] = {}

    @scopetel.trace
    async def child(index: int) -> None:
        await asyncio.sleep(0.001 * (3 - index))  # exits in reverse order of entry
        span = scopetel.get_current_span()
        assert span is not None
        seen[index] = (span.parent_span_id, span.span_id)

    async def main() -> tuple[str, str | None]:
        with scopetel.start_transaction(name="fan-out", op="task") as root:
            await asyncio.gather(*(child(i) for i in range(3)))
            after = scopetel.get_current_span()
            return root.span_id, None if after is None else after.span_id

    root_id, after_id = asyncio.run(main())
    assert {parent for parent, _ in seen.values()} == {root_id}
    assert len({span_id for _, span_id in seen.values()}) == 3
    assert after_id == root_id


def test_ten_thousand_concurrent_tasks_all_have_the_right_parent(transport) -> None:
    @scopetel.trace(op="task.child")
    async def child() -> str | None:
        await asyncio.sleep(0)
        inner = scopetel.get_current_span()
        return None if inner is None else inner.parent_span_id

    async def main() -> tuple[str, list[str | None]]:
        with scopetel.start_transaction(name="many") as root:
            parents = await asyncio.gather(*(child() for _ in range(10_000)))
            return root.span_id, parents

    root_id, parents = asyncio.run(main())
    assert parents.count(root_id) == 10_000


def test_isolation_scope_keeps_concurrent_async_requests_apart(transport) -> None:
    async def request(user: str) -> None:
        with scopetel.isolation_scope():
            scopetel.set_tag("user", user)
            scopetel.set_user({"id": user})
            await asyncio.sleep(0.01)
            scopetel.capture_message(f"from {user}")

    async def main() -> None:
        await asyncio.gather(*(request(f"u{i}") for i in range(20)))

    asyncio.run(main())
    scopetel.capture_message("outside")
    events = {event["message"]: event for event in transport.events()}
    for i in range(20):
        event = events[f"from u{i}"]
        assert event["tags"]["user"] == f"u{i}"
        assert event["user"] == {"id": f"u{i}"}
    assert "user" not in events["outside"].get("tags", {})
    assert "user" not in events["outside"]


def test_isolation_scope_keeps_concurrent_threads_apart(transport) -> None:
    barrier = threading.Barrier(8)

    def request(user: str) -> None:
        with scopetel.isolation_scope():
            scopetel.set_tag("user", user)
            barrier.wait()
            scopetel.capture_message(f"from {user}")

    threads = [threading.Thread(target=request, args=(f"t{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for event in transport.events():
        assert event["message"] == f"from {event['tags']['user']}"
    assert len(transport.events()) == 8


def test_generators_holding_scopes_closed_out_of_order_leave_nothing_behind(transport) -> None:
    def worker(name: str) -> Iterator[int]:
        with scopetel.new_scope() as scope:
            scope.set_tag("worker", name)
            yield 1
            yield 2

    before = scopetel.get_current_scope()
    first, second = worker("a"), worker("b")
    next(first)
    next(second)
    first.close()  # closed in the order they were opened: out of LIFO order
    second.close()
    assert scopetel.get_current_scope() is before
    scopetel.capture_message("after")
    assert "worker" not in transport.events()[0].get("tags", {})


def test_generators_holding_spans_closed_out_of_order_restore_the_root(transport) -> None:
    def step(name: str) -> Iterator[None]:
        with scopetel.start_span(op="step", name=name):
            yield

    with scopetel.start_transaction(name="root") as root:
        first, second = step("a"), step("b")
        next(first)
        next(second)
        first.close()
        second.close()
        current = scopetel.get_current_span()
        assert current is not None and current.span_id == root.span_id


def test_traced_generator_runs_in_its_own_context(transport) -> None:
    @scopetel.trace(op="gen")
    def numbers() -> Iterator[int]:
        span = scopetel.get_current_span()
        assert span is not None and span.op == "gen"
        scopetel.get_current_scope().set_tag("inside", "yes")
        yield 1
        yield 2

    with scopetel.start_transaction(name="consumer") as root:
        iterator = numbers()
        assert next(iterator) == 1
        current = scopetel.get_current_span()
        assert current is not None and current.span_id == root.span_id
        assert "inside" not in scopetel.get_current_scope().data.tags
        assert list(iterator) == [2]
    scopetel.flush()
    transaction = transport.transactions()[0]
    assert [span["op"] for span in transaction["spans"]] == ["gen"]
    assert transaction["spans"][0]["parent_span_id"] == root.span_id


def test_traced_async_generator_spans_are_children_of_the_caller(transport) -> None:
    @scopetel.trace(op="agen")
    async def ticks() -> object:
        for i in range(3):
            await asyncio.sleep(0)
            yield i

    async def main() -> list[int]:
        with scopetel.start_transaction(name="stream"):
            return [i async for i in ticks()]

    assert asyncio.run(main()) == [0, 1, 2]
    scopetel.flush()
    transaction = transport.transactions()[0]
    assert [span["op"] for span in transaction["spans"]] == ["agen"]


def test_span_entered_in_one_thread_and_exited_in_another(transport, caplog) -> None:
    # run in a copy of the Context: this thread keeps the span it entered (and never left)
    contextvars.copy_context().run(_enter_here_exit_elsewhere, transport, caplog)


def _enter_here_exit_elsewhere(transport, caplog) -> None:
    caplog.set_level(logging.ERROR)
    span = scopetel.start_transaction(name="handoff")
    span.__enter__()
    errors: list[BaseException] = []

    def finish() -> None:
        try:
            span.__exit__(None, None, None)
        except BaseException as error:  # the point of the test: nothing may escape
            errors.append(error)

    thread = threading.Thread(target=finish)
    thread.start()
    thread.join()
    assert errors == []
    assert not span.otel_span.is_recording()  # ended by the other thread
    scopetel.flush()
    assert [t["transaction"] for t in transport.transactions()] == ["handoff"]
    assert "Failed to detach context" not in caplog.text


def test_scope_entered_in_one_task_and_left_in_another(transport, caplog) -> None:
    caplog.set_level(logging.ERROR)

    async def main() -> None:
        block = scopetel.isolation_scope()
        scope = await asyncio.create_task(_enter(block))
        scope.set_tag("leak", "no")
        await asyncio.create_task(_leave(block))
        block.__exit__(None, None, None)  # twice, and in yet another context

    asyncio.run(main())
    scopetel.capture_message("after")
    assert "leak" not in transport.events()[0].get("tags", {})
    assert "Failed to detach context" not in caplog.text


async def _enter(block: object) -> scopetel.Scope:
    return block.__enter__()  # type: ignore[attr-defined, no-any-return]


async def _leave(block: object) -> None:
    block.__exit__(None, None, None)  # type: ignore[attr-defined]


def test_a_span_forks_the_current_scope_on_first_read_and_keeps_its_writes_to_itself(
    transport,
) -> None:
    """Entering a span forks the current scope only when something reads it (most spans
    never do): each span still gets a scope of its own, errors captured in it carry its
    tags and not its siblings', and the scope outside is untouched."""
    with scopetel.start_transaction(name="request", op="http.server"):
        outer = scopetel.get_current_scope()
        outer.set_tag("request", "yes")
        with scopetel.start_span(op="db", name="first"):
            first = scopetel.get_current_scope()
            assert first is scopetel.get_current_scope()  # one fork per span, kept
            first.set_tag("span", "first")
            scopetel.capture_message("in first")
        with scopetel.start_span(op="db", name="second"):
            second = scopetel.get_current_scope()
            assert second is not first and second is not outer
            scopetel.capture_message("in second")
        assert scopetel.get_current_scope() is outer
    tags = {e["message"]: e.get("tags", {}) for e in transport.events() if e.get("message")}
    assert tags["in first"] == {"request": "yes", "span": "first"}
    assert tags["in second"] == {"request": "yes"}
    assert "span" not in outer.data.tags


def test_threads_reading_a_span_scope_at_once_get_the_same_fork(transport) -> None:
    """The first read of a span's scope may happen in several threads at once (its
    Context copied into a pool): all of them get one scope, so no write is lost."""
    seen: list[object] = []
    with scopetel.start_transaction(name="request", op="task"):
        with scopetel.start_span(op="fan-out", name="work"):
            ctx = contextvars.copy_context()
            barrier = threading.Barrier(8)

            def read() -> None:
                barrier.wait()
                seen.append(scopetel.get_current_scope())

            threads = [threading.Thread(target=ctx.copy().run, args=(read,)) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert {id(scope) for scope in seen} == {id(scopetel.get_current_scope())}


def test_isolation_scope_forks_the_current_scope_when_read(transport) -> None:
    with scopetel.new_scope() as outer:
        outer.set_tag("outer", "1")
        with scopetel.isolation_scope():
            inner = scopetel.get_current_scope()
            assert inner is not outer and inner is scopetel.get_current_scope()
            inner.set_tag("inner", "1")
            assert inner.data.tags == {"outer": "1", "inner": "1"}
        assert scopetel.get_current_scope() is outer
        assert outer.data.tags == {"outer": "1"}
