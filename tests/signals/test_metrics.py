"""Trace metrics: ``trace_metric`` items as sentry-sdk 2.75 sends them, linked to the
trace, batched, ``before_send_metric`` and drops counted; bad values never raise."""

import json
import math
from collections.abc import Iterator
from typing import Any

import pytest

import scopetel
from scopetel import metrics
from tests.support.reference import REFERENCE_DIR
from tests.support.sentry_receiver import SentryReceiver

CONTENT_TYPE = "application/vnd.sentry.items.trace-metric+json"


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    with SentryReceiver() as receiver:
        yield receiver
        assert receiver.errors == []


def start(receiver: SentryReceiver, **options: Any) -> None:
    scopetel.init(dsn=receiver.dsn, release="shop@1.2.3", traces_sample_rate=1.0, **options)


def sent(receiver: SentryReceiver, count: int) -> list[dict[str, Any]]:
    scopetel.flush(5)
    receiver.wait_for(lambda: len(receiver.trace_metrics()) >= count)
    return receiver.trace_metrics()


def test_metrics_are_what_sentry_sdk_sends(receiver) -> None:
    start(receiver)
    with scopetel.start_transaction(name="checkout") as transaction:
        metrics.count("orders.placed", 1, attributes={"plan": "pro"})
        metrics.distribution("cart.value", 42.5, unit="none")
        metrics.gauge("queue.depth", 7)
    placed, cart, depth = sent(receiver, 3)
    (item,) = receiver.items("trace_metric")
    assert item.headers["content_type"] == CONTENT_TYPE and item.headers["item_count"] == 3
    assert (placed["type"], placed["value"], "unit" in placed) == ("counter", 1.0, False)
    assert (cart["type"], cart["value"], cart["unit"]) == ("distribution", 42.5, "none")
    assert (depth["type"], depth["value"]) == ("gauge", 7.0)
    for metric in (placed, cart, depth):
        assert metric["trace_id"] == transaction.trace_id
        assert metric["span_id"] == transaction.span_id
        assert metric["attributes"]["sentry.release"] == {"value": "shop@1.2.3", "type": "string"}
    assert placed["attributes"]["plan"] == {"value": "pro", "type": "string"}
    path = REFERENCE_DIR / "classic-08.envelope"
    if path.exists():
        reference = json.loads(path.read_bytes().split(b"\n")[2])["items"]
        for ours, theirs in zip((placed, cart, depth), reference, strict=True):
            assert set(ours) == set(theirs)
            assert set(ours["attributes"]) == set(theirs["attributes"])


def test_before_send_metric_and_enable_metrics(receiver) -> None:
    def hook(metric: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
        assert "sentry.release" in metric["attributes"]
        return None if metric["name"] == "secret" else metric

    start(receiver, before_send_metric=hook)
    metrics.count("secret", 1)
    metrics.count("public", 1)
    (metric,) = sent(receiver, 1)
    assert metric["name"] == "public"
    receiver.wait_for(lambda: receiver.discarded("before_send", "trace_metric") == 1)
    assert receiver.discarded("before_send", "trace_metric_byte") > 0
    start(receiver, enable_metrics=False)
    metrics.count("off", 1)
    scopetel.capture_message("flushes the transport")
    scopetel.flush(5)
    receiver.wait_for(lambda: len(receiver.events()) == 1)
    assert [m["name"] for m in receiver.trace_metrics()] == ["public"]


class Hostile:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    __str__ = __repr__


def test_any_argument_is_accepted_and_bad_values_are_dropped(receiver) -> None:
    start(receiver)
    metrics.count("nan", math.nan)
    metrics.gauge("inf", math.inf)
    metrics.distribution("text", "12")  # type: ignore[arg-type]
    metrics.count(Hostile(), 1, unit=Hostile(), attributes={"x": Hostile(), 1: [1, "a"]})  # type: ignore[arg-type,dict-item]
    metrics.count("fine", True)  # type: ignore[arg-type]
    metrics.count("big", 2**70)
    (hostile, big) = sent(receiver, 2)
    assert hostile["attributes"]["x"]["type"] == "string"
    assert hostile["attributes"]["1"] == {"value": "[1, 'a']", "type": "string"}
    assert big["value"] == float(2**70)


def test_a_thousand_metrics_leave_without_a_flush(receiver) -> None:
    start(receiver)
    for index in range(1_000):
        metrics.count("tick", 1, attributes={"index": index})
    receiver.wait_for(lambda: len(receiver.trace_metrics()) == 1_000, timeout=10)
    assert receiver.items("trace_metric")[0].headers["item_count"] == 1_000
