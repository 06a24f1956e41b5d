"""Exceptions nobody awaited become unhandled error events; existing handlers still run."""

import asyncio
import gc
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from scopetel_instrumentation_stdlib import _loops
from scopetel_instrumentation_stdlib.asyncio_instrumentor import AsyncioInstrumentor
from scopetel_instrumentation_stdlib.logs import LoggingInstrumentor
from stdlib_support import capturing, instrumented, uninstrumented

import scopetel


@pytest.fixture
def instrumentor() -> Iterator[AsyncioInstrumentor]:
    with instrumented(AsyncioInstrumentor()) as instrumented_asyncio:
        yield instrumented_asyncio


async def _orphan_task_fails() -> None:
    async def fail() -> None:
        raise ValueError("nobody awaited me")

    task = asyncio.create_task(fail(), name="orphan")
    await asyncio.sleep(0.01)
    del task
    gc.collect()  # the task's finalizer reports "Task exception was never retrieved"


def test_a_task_exception_never_retrieved_is_an_unhandled_event(instrumentor, caplog) -> None:
    with capturing() as transport:
        asyncio.run(_orphan_task_fails())
    (event,) = transport.events()
    (value,) = event["exception"]["values"]
    assert value["type"] == "ValueError" and value["value"] == "nobody awaited me"
    assert value["mechanism"] == {"type": "asyncio", "handled": False}
    assert value["stacktrace"]["frames"][-1]["function"].endswith("fail")
    assert event["contexts"]["asyncio"] == {
        "message": "Task exception was never retrieved",
        "task": "orphan",
        "coroutine": "_orphan_task_fails.<locals>.fail",
    }
    assert "Task exception was never retrieved" in caplog.text  # the default handler ran


def test_the_default_handlers_log_record_is_not_a_second_event(instrumentor) -> None:
    with instrumented(LoggingInstrumentor()), capturing() as transport:
        asyncio.run(_orphan_task_fails())
    assert len(transport.events()) == 1
    assert transport.events()[0]["exception"]["values"][0]["mechanism"]["type"] == "asyncio"


def test_a_handler_set_before_or_after_instrumenting_still_runs() -> None:
    seen: list[str] = []

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        seen.append(context["message"])

    uninstrumented(AsyncioInstrumentor())
    early = asyncio.new_event_loop()
    early.set_exception_handler(handler)
    try:
        with instrumented(AsyncioInstrumentor()), capturing() as transport:
            late = asyncio.new_event_loop()
            try:
                late.set_exception_handler(handler)
                early.run_until_complete(_orphan_task_fails())
                late.run_until_complete(_orphan_task_fails())
            finally:
                late.close()
    finally:
        early.close()
    assert seen == ["Task exception was never retrieved"] * 2
    assert len(transport.events()) == 2


def test_a_failing_callback_is_reported_with_the_scope_it_was_scheduled_in(instrumentor) -> None:
    def failing_callback() -> None:
        raise KeyError("missing")

    async def main() -> None:
        with scopetel.isolation_scope():
            scopetel.set_tag("scheduled", "in request")
            asyncio.get_running_loop().call_soon(failing_callback)
            await asyncio.sleep(0.01)

    with capturing() as transport:
        asyncio.run(main())
    (event,) = transport.events()
    assert event["tags"] == {"scheduled": "in request"}
    assert event["contexts"]["asyncio"]["callback"].endswith("failing_callback")
    assert event["contexts"]["asyncio"]["message"].startswith("Exception in callback")


def test_contexts_without_an_exception_are_not_events(instrumentor, caplog) -> None:
    async def main() -> None:
        asyncio.get_running_loop().call_exception_handler({"message": "just a message"})

    with capturing() as transport:
        asyncio.run(main())
    assert transport.events() == []
    assert "just a message" in caplog.text


def test_uninstrument_restores_the_loop_class() -> None:
    uninstrumented(AsyncioInstrumentor())
    own = dict(vars(asyncio.BaseEventLoop))
    handle_run = vars(asyncio.Handle)["_run"]
    with instrumented(AsyncioInstrumentor(), slow_callback_threshold=0.5):
        assert vars(asyncio.BaseEventLoop)["run_forever"] is not own["run_forever"]
        assert vars(asyncio.Handle)["_run"] is not handle_run
    assert dict(vars(asyncio.BaseEventLoop)) == own
    assert vars(asyncio.Handle)["_run"] is handle_run


def test_instrumenting_inside_a_running_loop_picks_that_loop_up(caplog) -> None:
    uninstrumented(AsyncioInstrumentor())

    async def main() -> bool:
        AsyncioInstrumentor().instrument()
        try:
            return asyncio.get_running_loop() in _loops.known_loops()
        finally:
            AsyncioInstrumentor().uninstrument()

    caplog.set_level(logging.WARNING)
    assert asyncio.run(main()) is True
