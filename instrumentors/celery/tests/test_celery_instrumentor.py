"""The Celery instrumentor in-process: a real Celery worker (solo pool, in a thread) on
Celery's in-memory broker, tasks sent by this process, what scopetel captured.

The worker under ``opentelemetry-instrument`` on a real redis, on each pool, is tested in
``tests/frameworks/test_celery.py``.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, Task
from celery.contrib.testing.worker import start_worker
from celery.signals import setup_logging

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event

app = Celery("unit", broker="memory://", backend="cache+memory://")
app.conf.update(task_default_queue="unit", broker_connection_retry_on_startup=True)


@app.task
def add(x: int, y: int) -> int:
    return x + y


@app.task
def remember(label: str) -> None:
    scopetel.set_tag("task.label", label)
    scopetel.set_user({"id": label})
    scopetel.add_breadcrumb(message=f"crumb {label}")
    scopetel.capture_message(f"remember {label}")


@app.task
def plain(label: str) -> None:
    scopetel.capture_message(f"plain {label}")


@app.task
def fail(label: str, note: str = "") -> None:
    raise ValueError(f"failed {label}")


@app.task(bind=True, max_retries=1)
def flaky(self: Task, label: str) -> str:
    if self.request.retries == 0:
        raise self.retry(countdown=0, exc=ConnectionError(label))
    return label


@app.task
def send_more(label: str) -> None:
    add.delay(1, 1)


def _keep_logging(**_: Any) -> None:
    """A ``setup_logging`` receiver: Celery then leaves the process's logging alone
    (its own set-up would disable loggers other tests rely on)."""


@pytest.fixture(scope="module")
def worker() -> Iterator[None]:
    """One worker for the module; each test's ``init()`` (a new client) applies to it."""
    setup_logging.connect(_keep_logging)
    try:
        with capture_envelopes(traces_sample_rate=1.0):
            with start_worker(app, perform_ping_check=False, shutdown_timeout=5):
                yield
    finally:
        setup_logging.disconnect(_keep_logging)


@pytest.fixture
def captured(worker: None) -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        yield transport


def _wait(transport: CapturingTransport, name: str, count: int = 1) -> list[dict[str, Any]]:
    """The transactions of task ``name``, once ``count`` arrived (flushing as needed)."""
    for _ in range(200):
        scopetel.flush(0.05)
        found = [t for t in transport.transactions() if t["transaction"] == name]
        if len(found) >= count:
            return found
    raise AssertionError(f"{count} transaction(s) {name!r} not sent: {transport.transactions()}")


def _span(transaction: dict[str, Any], op: str) -> dict[str, Any]:
    (span,) = [s for s in transaction["spans"] if s.get("op") == op]
    found: dict[str, Any] = span
    return found


def test_task_transaction_continues_the_senders_trace(captured: CapturingTransport) -> None:
    with scopetel.start_transaction(name="checkout", op="http.server"):
        result = add.delay(2, 3)
        assert result.get(timeout=10) == 5
    (sender,) = _wait(captured, "checkout")
    (task,) = _wait(captured, add.name)
    submit = _span(sender, "queue.submit.celery")
    assert submit["description"] == add.name
    trace = task["contexts"]["trace"]
    assert trace["trace_id"] == sender["contexts"]["trace"]["trace_id"]
    assert trace["parent_span_id"] == submit["span_id"]
    assert (trace["op"], trace["status"], trace["origin"]) == (
        "queue.task.celery",
        "ok",
        "auto.queue.celery",
    )
    assert task["transaction_info"] == {"source": "task"}
    assert task["tags"]["celery_task_id"] == result.id
    process = _span(task, "queue.process")
    assert process["data"]["messaging.message.id"] == result.id
    assert process["data"]["messaging.destination.name"] == "unit"
    assert process["data"]["messaging.message.retry.count"] == 0
    assert process["data"]["messaging.message.receive.latency"] >= 0
    for payload in captured.transactions():
        assert_valid_event(payload)


def test_each_task_starts_with_fresh_scopes(captured: CapturingTransport) -> None:
    scopetel.add_breadcrumb(message="before the worker ran anything")
    remember.delay("A").get(timeout=10)
    plain.delay("B").get(timeout=10)
    _wait(captured, plain.name)  # sent after the task's events
    (a,) = [e for e in captured.events() if "remember A" in str(e)]
    (b,) = [e for e in captured.events() if "plain B" in str(e)]
    assert a["tags"]["task.label"] == "A"
    assert [c["message"] for c in a["breadcrumbs"]["values"]] == ["crumb A"]
    assert "task.label" not in b.get("tags", {})
    assert not b.get("user")
    assert not (b.get("breadcrumbs") or {}).get("values")
    (transaction,) = _wait(captured, remember.name)
    assert transaction["tags"]["task.label"] == "A"
    assert transaction["user"] == {"id": "A"}


def test_a_failing_task_is_one_unhandled_celery_event(captured: CapturingTransport) -> None:
    fail.delay("once", note="private-4111").get(timeout=10, propagate=False)
    (transaction,) = _wait(captured, fail.name)
    events = [e for e in captured.events() if "failed once" in str(e)]
    assert len(events) == 1  # not again from Celery's error log record
    (event,) = events
    assert event["exception"]["values"][-1]["mechanism"] == {"type": "celery", "handled": False}
    assert event["transaction"] == fail.name
    assert event["extra"]["celery-job"] == {
        "task_name": fail.name,
        "args": "[Filtered]",
        "kwargs": "[Filtered]",
    }
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert_valid_event(event)


def test_task_arguments_with_send_default_pii(worker: None) -> None:
    with capture_envelopes(traces_sample_rate=1.0, send_default_pii=True) as transport:
        fail.delay("pii", note="shown").get(timeout=10, propagate=False)
        _wait(transport, fail.name)
    (event,) = [e for e in transport.events() if "failed pii" in str(e)]
    assert event["extra"]["celery-job"]["args"] == ["pii"]
    assert event["extra"]["celery-job"]["kwargs"] == {"note": "shown"}


def test_a_retried_run_is_aborted(captured: CapturingTransport) -> None:
    assert flaky.delay("again").get(timeout=10) == "again"
    runs = _wait(captured, flaky.name, count=2)
    assert [t["contexts"]["trace"]["status"] for t in runs] == ["aborted", "ok"]
    retries = [_span(t, "queue.process")["data"]["messaging.message.retry.count"] for t in runs]
    assert retries == [0, 1]
    assert [e for e in captured.events() if "again" in str(e)] == []


def test_a_task_sent_from_a_task_continues_its_trace(captured: CapturingTransport) -> None:
    send_more.delay("fan").get(timeout=10)
    (parent,) = _wait(captured, send_more.name)
    (child,) = _wait(captured, add.name)
    submit = _span(parent, "queue.submit.celery")
    assert child["contexts"]["trace"]["parent_span_id"] == submit["span_id"]
    assert child["contexts"]["trace"]["trace_id"] == parent["contexts"]["trace"]["trace_id"]


def test_a_task_sent_outside_a_transaction_sends_only_the_tasks(
    captured: CapturingTransport,
) -> None:
    """The producer span has no transaction around it: an orphan, not sent to Sentry."""
    add.delay(4, 4).get(timeout=10)
    (task,) = _wait(captured, add.name)
    assert [t["transaction"] for t in captured.transactions()] == [add.name]
    assert task["contexts"]["trace"]["parent_span_id"] is not None


def test_contribs_celery_instrumentation_is_turned_off(captured: CapturingTransport) -> None:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor as Contrib

    contrib = Contrib()  # type: ignore[no-untyped-call]
    contrib.instrument()
    try:
        add.delay(5, 5).get(timeout=10)
        assert not contrib.is_instrumented_by_opentelemetry
        _wait(captured, add.name)
        assert not [t for t in captured.transactions() if t["transaction"].startswith("run/")]
    finally:
        if contrib.is_instrumented_by_opentelemetry:
            contrib.uninstrument()


def test_propagate_traces_off_sends_no_headers(captured: CapturingTransport) -> None:
    from scopetel_instrumentation_celery import CeleryInstrumentor

    instrumentor = CeleryInstrumentor()
    instrumentor.uninstrument()
    instrumentor.instrument(propagate_traces=False)
    try:
        with scopetel.start_transaction(name="no headers"):
            add.delay(3, 3).get(timeout=10)
        (sender,) = _wait(captured, "no headers")
        (task,) = _wait(captured, add.name)
        assert task["contexts"]["trace"]["trace_id"] != sender["contexts"]["trace"]["trace_id"]
    finally:
        instrumentor.uninstrument()
        instrumentor.instrument()
