"""The one import surface of scopetel's instrumentor distributions.

Instrumentors (``scopetel-instrumentation-*``) import from here and from ``scopetel``
only, never from ``scopetel._*`` (import-linter enforces it), so the core can change
inside without breaking them. What is here:

* guarding: ``report_internal_error``, ``guarded``, ``raise_internal_errors``
  (scopetel's own bugs are logged, never raised into the application);
* the client and unhandled errors: ``get_client``, ``capture_unhandled``,
  ``was_captured``, and the pieces to build exception data (``exceptions_from_error``,
  ``frames_from_stack``, ``FrameOptions``, ``MAX_VALUE_LENGTH``, ``to_json_safe``,
  ``safe_str``, ``JSONValue``);
* the Context: ``current_context`` (the attached OpenTelemetry Context, read without a
  wrapper call), ``scope_trace_id`` (the trace of span-less work);
* the web request lifecycle shared by the WSGI, ASGI and Django layers:
  ``RequestInfo``, ``ServerRequest``, ``begin``, ``current_request``, ``RecordingInput``
  (a ``wsgi.input`` recording the request body as the application reads it),
  ``ContextIterator``/``ContextAsyncIterator`` (bodies produced in the request's
  Context), ``ImportHook``/``MethodPatch`` (patches applied when a framework is
  imported), ``claim_app``/``release_app``/``app_claimed`` (which applications a
  framework layer serves itself), ``endpoint_name``/``transaction_style`` (naming
  transactions after their handler, as sentry_sdk's ``transaction_style`` does);
* release health per request or task: ``begin_request_session(isolation_scope)`` /
  ``end_request_session(isolation_scope)`` (or ``track_session(scope)`` around a block)
  on the unit of work's own isolation scope, after any error of it was captured, and
  ``serving_requests()`` from a server's hook (the process sends no application session);
* cron monitors (Celery beat): ``capture_checkin``, ``MonitorStatus``;
* the lifecycle of a queued job a consumer runs (Celery's tasks): ``Job``,
  ``begin_job``, ``current_job``; ``continue_incoming`` (a Context continuing the trace
  of a carrier's headers);
* Sentry logs from OpenTelemetry log records: ``logs_enabled`` (whether the active
  client sends them), ``attribute_value``/``parameter_value`` (values as both sides
  accept them), ``severity_of_level`` (a ``logging`` level as sentry_sdk maps it),
  ``emit_log`` (emit one to an OpenTelemetry logger; straight to the Sentry processor
  when it is the provider's only one);
* ``add_known_breadcrumb`` (a breadcrumb an instrumentation built in Relay's shape,
  stored without the checks applications' breadcrumbs get unless ``before_breadcrumb``
  is set);
* continuous profiling: ``profiler_id`` (None: not sampling now) and
  ``update_active_thread`` (a request's root span now runs on this worker thread: its
  thread tag follows, as sentry_sdk's ``update_active_thread``);
* ``ForkSafeLock`` (a lock a forked child gets anew), ``VERSION``, ``flush``;
* ``SQLALCHEMY_TRACER``: the instrumentation scope of scopetel's SQLAlchemy instrumentor,
  whose spans the pipeline treats as contrib's SQLAlchemy ones.
"""

from scopetel._api import add_known_breadcrumb, capture_unhandled
from scopetel._client import get_client
from scopetel._context.entries import current as current_context
from scopetel._events.exceptions import MAX_VALUE_LENGTH, exceptions_from_error, was_captured
from scopetel._events.stacktrace import FrameOptions, frames_from_stack
from scopetel._fork_safety import ForkSafeLock
from scopetel._internal_errors import guarded, raise_internal_errors, report_internal_error
from scopetel._jobs.job import Job, begin_job, current_job
from scopetel._profiling.session import profiler_id, update_active_thread
from scopetel._propagation.incoming import continue_incoming
from scopetel._semconv.sentry_attributes import SQLALCHEMY_TRACER
from scopetel._serialize import JSONValue, safe_str, to_json_safe
from scopetel._sessions.tracking import begin_request as begin_request_session
from scopetel._sessions.tracking import end_request as end_request_session
from scopetel._sessions.tracking import serving_requests, track_session
from scopetel._setup.init import flush
from scopetel._signals.attributes import attribute_value, parameter_value
from scopetel._signals.log_emit import emit_log
from scopetel._signals.log_entries import severity_of_level
from scopetel._tracing.trace_identity import scope_trace_id
from scopetel._version import VERSION
from scopetel._web.body import ContextAsyncIterator, ContextIterator
from scopetel._web.endpoints import endpoint_name, transaction_style
from scopetel._web.info import RequestInfo
from scopetel._web.layers import claim as claim_app
from scopetel._web.layers import claimed as app_claimed
from scopetel._web.layers import release as release_app
from scopetel._web.patches import ImportHook, MethodPatch
from scopetel._web.request import ServerRequest, begin, current_request
from scopetel._web.request_body import RecordingInput
from scopetel.crons import MonitorStatus, capture_checkin


def logs_enabled() -> bool:
    """Whether the active client takes logs (``enable_logs``): then log records emitted
    to OpenTelemetry's ``LoggerProvider`` become Sentry logs."""
    client = get_client()
    return client is not None and client.options.enable_logs


__all__ = [
    "MAX_VALUE_LENGTH",
    "SQLALCHEMY_TRACER",
    "VERSION",
    "ContextAsyncIterator",
    "ContextIterator",
    "ForkSafeLock",
    "FrameOptions",
    "ImportHook",
    "JSONValue",
    "Job",
    "MethodPatch",
    "MonitorStatus",
    "RecordingInput",
    "RequestInfo",
    "ServerRequest",
    "add_known_breadcrumb",
    "app_claimed",
    "attribute_value",
    "begin",
    "begin_job",
    "begin_request_session",
    "capture_checkin",
    "capture_unhandled",
    "claim_app",
    "continue_incoming",
    "current_context",
    "current_job",
    "current_request",
    "emit_log",
    "end_request_session",
    "endpoint_name",
    "exceptions_from_error",
    "flush",
    "frames_from_stack",
    "get_client",
    "guarded",
    "logs_enabled",
    "parameter_value",
    "profiler_id",
    "raise_internal_errors",
    "release_app",
    "report_internal_error",
    "safe_str",
    "scope_trace_id",
    "serving_requests",
    "severity_of_level",
    "to_json_safe",
    "track_session",
    "transaction_style",
    "update_active_thread",
    "was_captured",
]
