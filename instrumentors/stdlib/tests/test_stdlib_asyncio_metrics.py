"""Loop health metrics on real event loops: lag, tasks alive, slow callbacks."""

import asyncio
import time
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from scopetel_instrumentation_stdlib.asyncio_instrumentor import AsyncioInstrumentor
from scopetel_instrumentation_stdlib.asyncio_metrics import (
    CALLBACK_ATTRIBUTE,
    LAG,
    SLOW_CALLBACKS,
    TASKS_ALIVE,
)
from stdlib_support import instrumented


def _points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else []:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def _provider() -> tuple[MeterProvider, InMemoryMetricReader]:
    reader = InMemoryMetricReader()
    return MeterProvider(metric_readers=[reader]), reader


def test_lag_is_recorded_and_a_blocked_loop_shows_up() -> None:
    provider, reader = _provider()

    async def main() -> None:
        await asyncio.sleep(0.1)
        time.sleep(0.15)  # block the loop
        await asyncio.sleep(0.05)

    with instrumented(AsyncioInstrumentor(), meter_provider=provider, lag_interval=0.01):
        asyncio.run(main())
    (lag,) = _points(reader)[LAG]
    assert lag.count >= 5
    assert lag.max >= 0.1
    assert lag.min < 0.01
    provider.shutdown()


def test_the_lag_timer_is_not_a_task_and_stops_with_the_loop() -> None:
    provider, _ = _provider()

    async def main() -> int:
        await asyncio.sleep(0.03)
        return len(asyncio.all_tasks())

    with instrumented(AsyncioInstrumentor(), meter_provider=provider, lag_interval=0.01):
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(main()) == 1
            pending = [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
            assert pending == []
        finally:
            loop.close()
    provider.shutdown()


def test_tasks_alive_counts_the_tasks_not_done() -> None:
    provider, reader = _provider()

    async def main() -> list[Any]:
        sleepers = [asyncio.create_task(asyncio.sleep(10)) for _ in range(3)]
        await asyncio.sleep(0)
        points = _points(reader)[TASKS_ALIVE]
        for sleeper in sleepers:
            sleeper.cancel()
        return points

    with instrumented(AsyncioInstrumentor(), meter_provider=provider):
        (alive,) = asyncio.run(main())
    assert alive.value == 4  # main and three sleepers
    provider.shutdown()


def test_slow_callbacks_are_counted_by_name_only_when_enabled() -> None:
    async def blocks_the_loop() -> None:
        time.sleep(0.06)

    def slow_callback() -> None:
        time.sleep(0.06)

    async def main() -> None:
        asyncio.get_running_loop().call_soon(slow_callback)
        await blocks_the_loop()
        await asyncio.sleep(0.01)

    provider, reader = _provider()
    with instrumented(AsyncioInstrumentor(), meter_provider=provider):
        asyncio.run(main())
    assert SLOW_CALLBACKS not in _points(reader)

    with instrumented(AsyncioInstrumentor(), meter_provider=provider, slow_callback_threshold=0.05):
        asyncio.run(main())
    counted = {
        point.attributes[CALLBACK_ATTRIBUTE]: point.value
        for point in _points(reader)[SLOW_CALLBACKS]
    }
    assert counted == {
        "Task test_slow_callbacks_are_counted_by_name_only_when_enabled.<locals>.main": 1,
        f"{__name__}.test_slow_callbacks_are_counted_by_name_only_when_enabled.<locals>"
        ".slow_callback": 1,
    }
    provider.shutdown()


def test_metrics_can_be_switched_off(monkeypatch) -> None:
    monkeypatch.setenv("SCOPETEL_ASYNCIO_LOOP_METRICS", "false")
    provider, reader = _provider()
    with instrumented(AsyncioInstrumentor(), meter_provider=provider, lag_interval=0.01):
        asyncio.run(asyncio.sleep(0.05))
    assert _points(reader) == {}
    provider.shutdown()
