"""Logs and metrics reach Sentry and OpenTelemetry's exporters from one pipeline, in real
processes: OTLP (official protobuf messages) with the same trace ids as Sentry, under
``init()`` and under ``opentelemetry-instrument``, and a Prometheus endpoint scraped."""

import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import INSTRUMENT, app_env, free_port
from tests.support.otlp_receiver import OtlpHttpReceiver, OtlpMetric
from tests.support.sentry_receiver import SentryReceiver

APP = Path(__file__).parent / "apps" / "logs_metrics_app.py"


def environment(sentry: SentryReceiver, **settings: str) -> dict[str, str]:
    return app_env(
        SENTRY_DSN=sentry.dsn,
        SENTRY_ENABLE_LOGS="true",
        SENTRY_TRACES_SAMPLE_RATE="1.0",
        SCOPETEL_ASYNCIO_LAG_INTERVAL="0.05",
        **settings,
    )


def run(mode: str, env: dict[str, str]) -> str:
    command = [sys.executable, str(APP), mode]
    if mode == "instrument":
        command.insert(0, str(INSTRUMENT))
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout.split()[0]


def by_name(points: list[OtlpMetric]) -> dict[str, list[OtlpMetric]]:
    found: dict[str, list[OtlpMetric]] = {}
    for point in points:
        found.setdefault(point.name, []).append(point)
    return found


def check_both_sides(sentry: SentryReceiver, otlp: OtlpHttpReceiver, trace_id: str) -> None:
    sentry.wait_for(lambda: len(sentry.logs()) >= 3 and len(sentry.trace_metrics()) == 4)
    otlp.wait_for(lambda: len(otlp.logs()) >= 3 and "python.asyncio.loop.lag" in _names(otlp))
    assert sentry.errors == [] and otlp.errors == []
    sentry_logs = {log["body"]: log for log in sentry.logs()}
    otlp_logs = {log.body: log for log in otlp.logs()}
    bodies = {"order or_1 paid", "stock low: 3 left", "from elsewhere"}
    assert bodies <= set(sentry_logs) and bodies <= set(otlp_logs)
    assert len(sentry.logs()) == len(otlp.logs())  # no record twice on either side
    for body in bodies:
        assert sentry_logs[body]["trace_id"] == otlp_logs[body].trace_id == trace_id
        assert sentry_logs[body]["span_id"] == otlp_logs[body].span_id
    assert sentry_logs["from elsewhere"]["level"] == "error"
    assert otlp_logs["order or_1 paid"].severity_number == 9
    assert otlp_logs["order or_1 paid"].attributes["sentry.message.parameter.order_id"] == "or_1"
    assert {m["trace_id"] for m in sentry.trace_metrics()} == {trace_id}
    points = by_name(otlp.metrics())
    (placed,) = points["orders.placed"]
    assert placed.kind == "sum" and placed.value == 3 and placed.attributes == {"plan": "pro"}
    assert points["queue.depth"][0].kind == "gauge" and points["queue.depth"][0].value == 7
    (cart,) = points["cart.value"]
    assert cart.kind == "histogram" and cart.count == 1 and cart.sum == 42.5
    assert points["python.asyncio.loop.lag"][0].count >= 1


def _names(otlp: OtlpHttpReceiver) -> set[str]:
    return {point.name for point in otlp.metrics()}


def otlp_settings(otlp: OtlpHttpReceiver) -> dict[str, Any]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_BLRP_SCHEDULE_DELAY": "100",
    }


def test_init_sends_logs_and_metrics_to_sentry_and_otlp_with_the_same_trace() -> None:
    with SentryReceiver() as sentry, OtlpHttpReceiver() as otlp:
        trace_id = run("init", environment(sentry, **otlp_settings(otlp)))
        check_both_sides(sentry, otlp, trace_id)


def test_opentelemetry_instrument_sends_them_to_both_too() -> None:
    with SentryReceiver() as sentry, OtlpHttpReceiver() as otlp:
        trace_id = run("instrument", environment(sentry, **otlp_settings(otlp)))
        check_both_sides(sentry, otlp, trace_id)


def test_prometheus_exporter_serves_the_metrics() -> None:
    port = free_port()
    with SentryReceiver() as sentry:
        env = environment(
            sentry,
            OTEL_METRICS_EXPORTER="prometheus",
            OTEL_EXPORTER_PROMETHEUS_HOST="127.0.0.1",
            OTEL_EXPORTER_PROMETHEUS_PORT=str(port),
        )
        command = [sys.executable, str(APP), "init", "wait"]
        with subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        ) as process:
            assert process.stdout is not None and process.stdin is not None
            assert process.stdout.readline().strip()  # the trace id
            assert process.stdout.readline().strip() == "ready"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
                page = answer.read().decode()
            process.stdin.write("done\n")
            process.stdin.close()
            assert process.wait(30) == 0
    samples = {
        (sample.name, sample.labels.get("plan")): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }
    assert samples[("orders_placed_total", "pro")] == 3.0
    assert samples[("queue_depth", None)] == 7.0
    assert samples[("cart_value_none_count", None)] == 1.0
    assert samples[("cart_value_none_sum", None)] == 42.5
    assert samples[("python_asyncio_loop_lag_seconds_count", None)] >= 1
