"""One queued job run by this process (a Celery task): its scopes, its span, its end.

A consumer instrumentation calls :func:`begin_job` when a job starts. That forks the
isolation scope, with its breadcrumbs cleared (the worker's start-up lines and earlier
jobs are no part of this one), and the current scope; continues the trace of the
message's headers (``sentry-trace``/``baggage`` or ``traceparent``); and starts a
``CONSUMER`` span, the job's transaction (a child span when the job runs inside another
span, as an eagerly applied task does), and optionally a child span under it that is
current while the job's code runs (Sentry's ``queue.process`` span).

:meth:`Job.run` calls the job's code in a copy of the ``contextvars`` Context with all of
that current, so nothing of the job is left behind in the worker's thread, greenlet or
process, on any pool. :meth:`Job.finish` sets the status and ends the spans inside the
job's Context, so the job's scopes (tags, user set while it ran) are those of its
transaction.
"""

import contextvars
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, ParamSpec, TypeVar

from opentelemetry import trace as otel_trace
from opentelemetry.context import Context, create_key
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

from scopetel._api import capture_unhandled
from scopetel._context import entries
from scopetel._context.active_scopes import get_current_scope, get_isolation_scope
from scopetel._context.keys import (
    CURRENT_SCOPE,
    CUSTOM_SAMPLING_CONTEXT,
    ISOLATION_SCOPE,
    SPAN_FACADE,
)
from scopetel._context.scope import Scope
from scopetel._internal_errors import guarded
from scopetel._propagation.incoming import continue_incoming
from scopetel._semconv import sentry_attributes as attrs
from scopetel._sessions import tracking as sessions
from scopetel._tracing.span import Span

JOB: Final = create_key("scopetel.jobs.job")
"""Context key of the :class:`Job` being run."""
FAILED: Final = frozenset({"internal_error", "unknown_error", "deadline_exceeded"})

_P = ParamSpec("_P")
_R = TypeVar("_R")


class JobSpan(Span):
    """The facade of a job's span: it is its own transaction."""

    __slots__ = ()

    @property
    def containing_transaction(self) -> Span:
        return self


class Job:
    """State of one job; :meth:`finish` may come from any thread, once."""

    __slots__ = ("_finished", "_lock", "child", "context", "isolation", "mechanism", "span")

    def __init__(self, isolation: Scope, mechanism: str) -> None:
        self.isolation = isolation
        self.mechanism = mechanism  # exception mechanism type of unhandled errors
        self.span: otel_trace.Span = otel_trace.INVALID_SPAN
        self.child: otel_trace.Span | None = None
        self.context = Context()
        self._finished = False
        self._lock = threading.Lock()

    def run(self, function: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        """``function(*args, **kwargs)`` with the job's Context current, in a copy of the
        caller's ``contextvars`` Context (dropped afterwards: nothing to restore)."""
        return contextvars.copy_context().run(self._call, function, args, kwargs)

    def _call(self, function: Callable[..., _R], args: Any, kwargs: Any) -> _R:
        entries.enter({}, base=self.context)
        return function(*args, **kwargs)

    @guarded(None)
    def capture_exception(self, error: BaseException) -> None:
        """Report an error the job did not handle (once per exception object)."""
        if current_job() is self:
            capture_unhandled(error, self.mechanism)
        else:
            self.run(capture_unhandled, error, self.mechanism)

    @guarded(None)
    def finish(self, status: str | None = None, description: str | None = None) -> None:
        """The job is over: set its Sentry status (``ok``, ``internal_error``,
        ``aborted`` …) and end its span, inside its Context (once, from any thread)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
        spans = [self.span] if self.child is None else [self.child, self.span]
        for span in spans:
            if span.is_recording() and status is not None:
                span.set_attribute(attrs.STATUS, status)
                if status in FAILED:
                    span.set_status(Status(StatusCode.ERROR, description))
            self.run(span.end)
        sessions.end_request(self.isolation)  # after the job's error was counted


def current_job() -> Job | None:
    """The job being run in the current Context, if any."""
    job = entries.current().get(JOB)
    return job if isinstance(job, Job) else None


def begin_job(
    name: str,
    *,
    tracer: Tracer,
    op: str,
    origin: str,
    mechanism: str,
    source: str = "task",
    headers: Mapping[str, Any] | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
    sampling_context: Mapping[str, Any] | None = None,
    child_attributes: Mapping[str, AttributeValue] | None = None,
) -> Job:
    """Start a job named ``name`` (its transaction's name, of ``source``): fork the
    scopes, continue the trace of ``headers``, start its span; see the module docstring.

    ``sampling_context`` is merged into what ``traces_sampler`` receives;
    ``child_attributes``: start the child span, with these attributes.
    """
    ctx = entries.current()
    isolation = get_isolation_scope().fork()
    isolation.clear_breadcrumbs()
    isolation.set_transaction_name(name, source)  # for the job's events
    job = Job(isolation, mechanism)
    sessions.begin_request(isolation)  # release health: one session per job
    values: dict[str, object] = {
        ISOLATION_SCOPE: isolation,
        CURRENT_SCOPE: get_current_scope().fork(),
        JOB: job,
        CUSTOM_SAMPLING_CONTEXT: None,
    }
    base = Context({**ctx, **values})
    parent = otel_trace.get_current_span(ctx).get_span_context()
    if headers and not (parent.is_valid and not parent.is_remote):
        base = continue_incoming(headers, base)
    sampling = Context({**base, CUSTOM_SAMPLING_CONTEXT: dict(sampling_context or {})})
    job.span = tracer.start_span(
        name,
        context=sampling,
        kind=SpanKind.CONSUMER,
        attributes={
            **(attributes or {}),
            attrs.OP: op,
            attrs.SOURCE: source,
            attrs.ORIGIN: origin,
        },
    )
    root = JobSpan(job.span)
    values[SPAN_FACADE] = root
    job.context = Context({**otel_trace.set_span_in_context(job.span, base), **values})
    if child_attributes is not None:
        job.child = tracer.start_span(name, context=job.context, attributes=child_attributes)
        values[SPAN_FACADE] = Span(job.child, job.span.get_span_context().span_id, root)
        job.context = Context({**otel_trace.set_span_in_context(job.child, base), **values})
    return job
