"""Exits in any order leave nothing behind; background work keeps its request's scope.

Every test runs in a private copy of the contextvars Context, so a bug that leaves
stale state in the Context cannot leak into other tests.
"""

import asyncio
import contextvars
import functools
from collections.abc import Callable
from typing import Any

import scopetel
from scopetel.testing import capture_envelopes

UPSTREAM_SENTRY_TRACE = "771a43a4192642f0b136d5159a501700-b3a1f0c24e5d6a7f-1"


def isolated(test: Callable[..., None]) -> Callable[..., None]:
    """Run the test body in a copy of the Context (stale state stays in the copy)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        contextvars.copy_context().run(test, *args, **kwargs)

    return run


# -- 1. Context / scopes -----------------------------------------------------------------


@isolated
def test_background_task_keeps_request_scope_after_block_exits() -> None:
    trace_ids: dict[str, str] = {}

    async def background() -> None:
        await asyncio.sleep(0.01)  # runs after the request's blocks have exited
        scopetel.set_tag("from_background", "yes")
        scopetel.capture_message("background")
        with scopetel.start_span(op="task", name="background work") as span:
            trace_ids["background"] = span.trace_id

    async def handle_request() -> None:
        with scopetel.isolation_scope():
            scopetel.set_tag("request", "r1")
            with scopetel.start_transaction(name="request") as transaction:
                trace_ids["request"] = transaction.trace_id
                task = asyncio.create_task(background())
        await task

    async def main() -> None:
        await handle_request()
        scopetel.capture_message("unrelated")  # outside any request

    with capture_envelopes(traces_sample_rate=1.0) as transport:
        asyncio.run(main())
    events = {event["message"]: event for event in transport.events()}
    # the background task's tag must not leak into the rest of the process ...
    assert "from_background" not in (events["unrelated"].get("tags") or {})
    # ... and the task keeps the request's scope data and trace
    assert events["background"]["tags"].get("request") == "r1"
    assert trace_ids["background"] == trace_ids["request"]


@isolated
def test_span_entered_twice_leaves_nothing_behind() -> None:
    with capture_envelopes(traces_sample_rate=1.0):
        transaction = scopetel.start_transaction(name="twice")
        with transaction:
            with transaction:
                pass
        assert scopetel.get_current_span() is None


@isolated
def test_traced_generator_closed_before_first_step_ends_its_span() -> None:
    @scopetel.trace(op="stream")
    def chunks() -> Any:
        yield b"chunk"

    with capture_envelopes(traces_sample_rate=1.0, late_children_timeout=30.0) as transport:
        with scopetel.start_transaction(name="download"):
            body = chunks()
            body.close()  # e.g. the client disconnected before streaming began
        # the root ended and nothing is open: the transaction goes out at once; the
        # generator never ran, so it has no span (its span starts with its first step)
        (transaction,) = transport.transactions()
        assert transaction["spans"] == []


@isolated
def test_traced_async_generator_closed_before_first_step_ends_its_span() -> None:
    @scopetel.trace(op="stream")
    async def chunks() -> Any:
        yield b"chunk"

    async def main() -> None:
        with scopetel.start_transaction(name="download"):
            await chunks().aclose()

    with capture_envelopes(traces_sample_rate=1.0, late_children_timeout=30.0) as transport:
        asyncio.run(main())
        (transaction,) = transport.transactions()
        assert transaction["spans"] == []


@isolated
def test_set_transaction_name_renames_only_its_own_transaction() -> None:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        with scopetel.start_transaction(name="outer"):
            scopetel.set_transaction_name("renamed outer")
            with scopetel.start_transaction(name="inner"):  # e.g. an eager task
                pass
        with scopetel.isolation_scope():
            scopetel.set_transaction_name("set before any transaction")
            with scopetel.start_transaction(name="first"):
                pass
            with scopetel.start_transaction(name="second"):
                pass
    names = sorted(event["transaction"] for event in transport.transactions())
    assert names == ["first", "inner", "renamed outer", "second"]


@isolated
def test_a_scope_block_reused_and_nested_restores_each_context() -> None:
    block = scopetel.isolation_scope()
    outer = scopetel.get_isolation_scope()
    with block as first:
        first.set_tag("round", "1")
        with block as nested:  # the same block object, entered again inside itself
            assert nested is not first and nested.data.tags == {"round": "1"}
            nested.set_tag("round", "nested")
        assert scopetel.get_isolation_scope() is first
    assert scopetel.get_isolation_scope() is outer
    with block as second:  # and again after it was left
        assert second is not first and "round" not in second.data.tags
    assert scopetel.get_isolation_scope() is outer
    assert "round" not in outer.data.tags
