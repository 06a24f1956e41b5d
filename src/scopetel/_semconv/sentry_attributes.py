"""Span attribute names under which scopetel stores Sentry concepts on OTel spans.

One namespace, one module: the API writes these, the segment processor and the
span mapping read them. Any other attribute on a span is Sentry span ``data``.
"""

from typing import Final

PREFIX: Final = "sentry."

# The instrumentation scope of scopetel's SQLAlchemy instrumentor (which leaves its
# attributes as contrib's, so the pipeline knows its spans by this name).
SQLALCHEMY_TRACER: Final = "scopetel.instrumentation.sqlalchemy"

OP: Final = "sentry.op"
DESCRIPTION: Final = "sentry.description"
ORIGIN: Final = "sentry.origin"
SOURCE: Final = "sentry.source"  # transaction_info.source of a segment root
STATUS: Final = "sentry.status"  # explicit Sentry status ("ok", "internal_error", ...)
HTTP_STATUS: Final = "http.response.status_code"  # set by set_http_status (new semconv)
SAMPLE_RATE: Final = "sentry.sample_rate"  # rate that decided a root's sampling
SAMPLE_RAND: Final = "sentry.sample_rand"  # random value compared with the rate

TAG_PREFIX: Final = "sentry.tag."  # sentry.tag.<key> = str value
MEASUREMENT_PREFIX: Final = "sentry.measurement."  # sentry.measurement.<name> = number
MEASUREMENT_UNIT_PREFIX: Final = "sentry.measurement_unit."  # ... .<name> = unit str

DEFAULT_ORIGIN: Final = "manual"

_OWN: Final = frozenset({OP, DESCRIPTION, ORIGIN, SOURCE, STATUS, SAMPLE_RATE, SAMPLE_RAND})
_OWN_PREFIXES: Final = (TAG_PREFIX, MEASUREMENT_PREFIX, MEASUREMENT_UNIT_PREFIX)


def is_data(key: str) -> bool:
    """Whether an attribute is Sentry span ``data`` (not one of scopetel's own)."""
    return key not in _OWN and not key.startswith(_OWN_PREFIXES)


# Profiling links (scopetel._profiling sets them while the profiler samples): the profile
# session a span ran under, and the thread it started on (OpenTelemetry's names; Sentry
# reads the same keys in span data, the thread id as a string).
PROFILER_ID: Final = "sentry.profiler_id"  # transaction span data: "profiler_id"
THREAD_ID: Final = "thread.id"
THREAD_NAME: Final = "thread.name"
