"""The worker side: every task run is a job with scopes, a transaction and a status.

Celery runs a task through the function ``celery.app.trace.build_tracer`` builds for it
(on every pool: prefork children, solo, threads, gevent, eventlet, and ``Task.apply``).
That function is wrapped: the whole run — Celery's signals, the task, its result being
stored, its log lines — happens inside the task's job (``scopetel.instrumentation.Job``),
in a copy of the Context, so nothing it sets is seen by the next task on the same
process, thread or greenlet. The job's transaction is named after the task (source
``task``, op ``queue.task.celery``), continues the trace of the message headers, and gets
its status from the state Celery gives the run: ``ok``, ``internal_error`` (failure),
``aborted`` (retry, reject, ignore). A child span ``queue.process`` carries Sentry's
messaging data (message id, queue, retry count, receive latency), as sentry_sdk sends it.

A task's exception is reported from Celery's ``task_failure`` signal, which Celery sends
before it logs the failure: the exception is marked captured, so the logging
instrumentation does not report Celery's log record again.
"""

import functools
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from opentelemetry import trace as otel_trace

from scopetel.instrumentation import Job, begin_job, current_job, get_client, guarded
from scopetel_instrumentation_celery.contrib import supersede_contrib

OP: Final = "queue.task.celery"
PROCESS_OP: Final = "queue.process"
ORIGIN: Final = "auto.queue.celery"
TRACER_NAME: Final = "scopetel_instrumentation_celery"
ENQUEUED_AT: Final = "sentry-task-enqueued-time"
"""Header the producer sets (seconds since the epoch), as sentry_sdk does."""
FILTERED: Final = "[Filtered]"
_STATUS: Final = {"SUCCESS": "ok", "FAILURE": "internal_error"}

Tracer = Callable[..., Any]


def wrap_tracer(task: Any, tracer: Tracer) -> Tracer:
    """The function Celery calls to run ``task``, with a job around each run."""

    @functools.wraps(tracer)
    def trace_task(uuid: Any, args: Any, kwargs: Any, request: Any = None, *rest: Any) -> Any:
        job = start_job(task, uuid, args, kwargs, request)
        if job is None:
            return tracer(uuid, args, kwargs, request, *rest)
        try:
            result = job.run(tracer, uuid, args, kwargs, request, *rest)
        except BaseException as error:  # Reject, or an error in Celery itself
            name = type(error).__name__
            job.finish("aborted" if name == "Reject" else "internal_error", name)
            raise
        info = getattr(result, "info", None)
        state = str(getattr(info, "state", "SUCCESS")) if info is not None else "SUCCESS"
        status = _STATUS.get(state, "aborted")  # RETRY, REJECTED, IGNORED
        job.finish(status, None if status == "ok" else state)
        return result

    return trace_task


@guarded(None)
def start_job(task: Any, uuid: Any, args: Any, kwargs: Any, request: Any) -> Job | None:
    """Begin the job of one task run (None: run it untraced, scopetel failed)."""
    supersede_contrib()
    name = str(getattr(task, "name", None) or "celery.task")
    headers = _headers(request)
    messaging = _messaging_attributes(task, str(uuid), request, headers)
    job = begin_job(
        name,
        tracer=otel_trace.get_tracer(TRACER_NAME),
        op=OP,
        origin=ORIGIN,
        mechanism="celery",
        headers=headers,
        attributes={key: value for key, value in messaging.items() if key != LATENCY},
        sampling_context={"celery_job": {"task": name, "args": args, "kwargs": kwargs}},
        child_attributes={
            **messaging,
            "sentry.op": PROCESS_OP,
            "sentry.description": name,
            "sentry.origin": ORIGIN,
        },
    )
    job.isolation.add_event_processor(_event_processor(name, str(uuid), args, kwargs))
    return job


LATENCY: Final = "messaging.message.receive.latency"


def _headers(request: Any) -> dict[str, Any]:
    """The message's headers (trace headers are at the top level of Celery's request
    dict; some Celery versions nest custom headers under ``headers``)."""
    if not isinstance(request, Mapping):
        return {}
    found = {
        key: value for key, value in request.items() if isinstance(value, str) or key == ENQUEUED_AT
    }
    nested = request.get("headers")
    if isinstance(nested, Mapping):
        found.update({k: v for k, v in nested.items() if isinstance(v, (str, int, float))})
    return found


def _messaging_attributes(
    task: Any, uuid: str, request: Any, headers: Mapping[str, Any]
) -> dict[str, Any]:
    """OpenTelemetry's messaging attributes, under the names Sentry's queue views read."""
    found: dict[str, Any] = {
        "messaging.system": broker_system(getattr(task, "app", None)),
        "messaging.operation.type": "process",
        "messaging.message.id": uuid,
    }
    if isinstance(request, Mapping):
        delivery = request.get("delivery_info")
        if isinstance(delivery, Mapping):
            queue = delivery.get("routing_key") or delivery.get("exchange")
            if isinstance(queue, str) and queue:
                found["messaging.destination.name"] = queue
        retries = request.get("retries")
        if isinstance(retries, int) and not isinstance(retries, bool):
            found["messaging.message.retry.count"] = retries
    enqueued = headers.get(ENQUEUED_AT)
    try:
        latency = (time.time() - float(enqueued)) * 1000 if enqueued is not None else None
    except (TypeError, ValueError):
        latency = None
    if latency is not None and latency >= 0:
        found[LATENCY] = int(latency)
    return found


@functools.cache
def _scheme(url: str) -> str:
    scheme = url.split("://", 1)[0] if "://" in url else url
    return scheme.split("+", 1)[0] or "celery"


def broker_system(app: Any) -> str:
    """The broker's kind from the application's broker URL (``redis``, ``amqp`` …)."""
    conf = getattr(app, "conf", None)
    url = getattr(conf, "broker_url", None) if conf is not None else None
    if isinstance(url, (list, tuple)):
        url = url[0] if url else None
    return _scheme(url) if isinstance(url, str) and url else "celery"


def _event_processor(
    name: str, uuid: str, args: Any, kwargs: Any
) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """The task's id as a tag, its name and arguments as ``extra`` (arguments only with
    ``send_default_pii``), on every event and transaction of the run."""

    def process(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        client = get_client()
        pii = client is not None and client.options.send_default_pii
        tags = event.setdefault("tags", {})
        if isinstance(tags, dict):
            tags.setdefault("celery_task_id", uuid)
        extra = event.setdefault("extra", {})
        if isinstance(extra, dict):
            extra["celery-job"] = {
                "task_name": name,
                "args": list(args) if pii and isinstance(args, (list, tuple)) else FILTERED,
                "kwargs": dict(kwargs) if pii and isinstance(kwargs, Mapping) else FILTERED,
            }
        exc_info = hint.get("exc_info")
        if exc_info and getattr(exc_info[0], "__name__", "") == "SoftTimeLimitExceeded":
            event["fingerprint"] = ["celery", "SoftTimeLimitExceeded", name]
        return event

    return process


@guarded(None)
def on_task_failure(sender: Any = None, exception: Any = None, einfo: Any = None, **_: Any) -> None:
    """Celery's ``task_failure`` signal: report the exception as unhandled (mechanism
    ``celery``), unless the task declares it expected (``Task.throws``)."""
    job = current_job()
    if job is None or not isinstance(exception, BaseException):
        return
    throws = getattr(sender, "throws", ())
    if throws and isinstance(exception, tuple(throws)):
        return
    job.capture_exception(exception)
