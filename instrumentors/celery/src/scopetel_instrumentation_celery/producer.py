"""The producer side: a ``queue.submit.celery`` span per task sent, and trace headers.

Every task a process sends goes through ``Celery.send_task`` (``Task.apply_async``,
``delay``, chains, groups and chords, and tasks sent by name), in workers too (a task
sending more work, the next step of a chain). It is wrapped: a ``PRODUCER`` span named
after the task (op ``queue.submit.celery``) covers the send, and the message carries the
trace: ``sentry-trace`` and ``baggage`` (Sentry's dynamic sampling context) and
``traceparent``/``tracestate``, whatever propagators are configured (those of
``OTEL_PROPAGATORS`` are applied too), plus the time it was sent (receive latency).
``propagate_traces=False`` (``init()``'s, or ``instrument()``'s) sends none of them.
A task sent outside any transaction (a script) is an orphan span: it reaches OTLP, not
Sentry.
"""

import contextvars
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry import trace as otel_trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from scopetel import get_baggage, get_traceparent
from scopetel.instrumentation import current_context, get_client, report_internal_error
from scopetel_instrumentation_celery.contrib import supersede_contrib
from scopetel_instrumentation_celery.worker import ENQUEUED_AT, ORIGIN, TRACER_NAME, broker_system

OP: Final = "queue.submit.celery"
_W3C: Final = TraceContextTextMapPropagator()


class Propagation:
    """``instrument(propagate_traces=...)``: trace headers on tasks sent (default on)."""

    enabled = True


def send_task(
    original: Callable[..., Any], app: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``Celery.send_task`` inside a producer span, with the trace in the headers."""
    try:
        supersede_contrib()
        name = str(args[0] if args else kwargs.get("name", "celery.task"))
        span = otel_trace.get_tracer(TRACER_NAME).start_span(
            name,
            kind=SpanKind.PRODUCER,
            attributes=_attributes(app, name, kwargs),
        )
        ctx = otel_trace.set_span_in_context(span, current_context())
    except Exception:
        report_internal_error("celery send_task")
        return original(*args, **kwargs)
    return contextvars.copy_context().run(_send, span, ctx, original, args, kwargs)


def _send(
    span: otel_trace.Span,
    ctx: otel_context.Context,
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """In a copy of the caller's Context (dropped afterwards): nothing to restore."""
    otel_context.attach(ctx)
    try:
        kwargs = {**kwargs, "headers": trace_headers(kwargs.get("headers"))}
    except Exception:
        report_internal_error("celery trace headers")
    try:
        result = original(*args, **kwargs)
    except BaseException as error:
        span.set_attribute("sentry.status", "internal_error")
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()
        raise
    task_id = getattr(result, "id", None)
    if isinstance(task_id, str):
        span.set_attribute("messaging.message.id", task_id)
    span.end()
    return result


def trace_headers(given: object) -> dict[str, Any]:
    """The message headers the caller gave, with the current trace's added."""
    headers: dict[str, Any] = dict(given) if isinstance(given, Mapping) else {}
    client = get_client()
    if not Propagation.enabled or (client is not None and not client.options.propagate_traces):
        return headers
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    _W3C.inject(carrier)
    sentry_trace, baggage = get_traceparent(), get_baggage()
    if sentry_trace:
        carrier["sentry-trace"] = sentry_trace
    if baggage:
        carrier["baggage"] = baggage
    headers.update(carrier)
    headers[ENQUEUED_AT] = time.time()
    return headers


def _attributes(app: Any, name: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "sentry.op": OP,
        "sentry.description": name,
        "sentry.origin": ORIGIN,
        "messaging.system": broker_system(app),
        "messaging.operation.type": "send",
    }
    task_id = kwargs.get("task_id")
    if isinstance(task_id, str):
        found["messaging.message.id"] = task_id
    queue = kwargs.get("queue") or kwargs.get("routing_key")
    queue = getattr(queue, "name", queue)
    if not queue and not getattr(getattr(app, "conf", None), "task_routes", None):
        queue = getattr(getattr(app, "conf", None), "task_default_queue", None)
    if isinstance(queue, str) and queue:
        found["messaging.destination.name"] = queue
    return found
