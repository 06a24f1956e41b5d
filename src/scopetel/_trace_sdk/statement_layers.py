"""A driver's span of a statement SQLAlchemy's span records: left out when no one reads it.

With OpenTelemetry's SQLAlchemy instrumentation and a driver's (sqlite3, psycopg …) both
on, as ``opentelemetry-instrument`` turns on whatever is installed, every statement is
recorded twice: SQLAlchemy's span, then, inside it, the driver's. Sentry's transaction
keeps SQLAlchemy's only (``_pipeline.query_layers``), so while Sentry is the only reader
of spans (no other span processor on the provider: no OTLP exporter, nothing a user
added) recording the driver's span is wasted work on the application's thread: the lean
tracer starts it non-recording (with its parent's sampled flag), so the driver's
instrumentation also skips reading the statement's attributes. With any other processor
both spans are recorded, as the instrumentations make them.

Which span is the duplicate: a CLIENT span of a driver instrumentation started while the
last CLIENT span SQLAlchemy started on this thread is still open, under the same parent
(SQLAlchemy runs one driver call between its before- and after-cursor events, and its
span is not made current). One driver span per SQLAlchemy span: a second call of the
driver there (what SQLAlchemy never makes) is recorded. Per thread (greenlet under
gevent): ``threading.local``.
"""

import threading
from typing import Final, Protocol

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import SpanContext

NONE: Final = 0
OUTER: Final = 1  # an ORM layer: its statement span covers the driver's call
DRIVER: Final = 2

_OUTER_SCOPES: Final = frozenset({"opentelemetry.instrumentation.sqlalchemy"})
_DRIVER_SCOPES: Final = frozenset(
    "opentelemetry.instrumentation." + name
    for name in (
        "sqlite3",
        "dbapi",
        "psycopg",
        "psycopg2",
        "pymysql",
        "mysql",
        "mysqlclient",
        "pymssql",
        "aiopg",
        "asyncpg",
        "aiosqlite",
    )
)


def role_of(scope_name: str) -> int:
    """``OUTER``, ``DRIVER`` or ``NONE`` for the tracer of ``scope_name``."""
    if scope_name in _OUTER_SCOPES:
        return OUTER
    if scope_name in _DRIVER_SCOPES:
        return DRIVER
    return NONE


class OuterSpan(Protocol):
    """What is read of SQLAlchemy's span (a ``RecordingSpan``)."""

    _end: int | None
    _parent: SpanContext | None


class _Open(threading.local):
    span: OuterSpan | None = None


_open: Final = _Open()


def opened(span: OuterSpan) -> None:
    """SQLAlchemy's CLIENT span ``span`` started on this thread."""
    _open.span = span


def recorded_above(parent_span_id: int, processors: tuple[SpanProcessor, ...]) -> bool:
    """Whether a driver's CLIENT span starting now under ``parent_span_id`` repeats the
    open SQLAlchemy span's statement and no processor but scopetel's reads spans; if so,
    that SQLAlchemy span has had its driver span."""
    outer = _open.span
    if outer is None or outer._end is not None:
        return False
    parent = outer._parent
    if parent is None or parent.span_id != parent_span_id or not only_sentry(processors):
        return False
    _open.span = None
    return True


def only_sentry(processors: tuple[SpanProcessor, ...]) -> bool:
    """Every processor (those inside the SDK's multi-processors too) says it sends spans
    only to Sentry (a true ``sentry_only`` attribute: scopetel's own)."""
    for processor in processors:
        inner = getattr(processor, "_span_processors", None)
        if isinstance(inner, tuple):
            if not only_sentry(inner):
                return False
        elif getattr(processor, "sentry_only", False) is not True:
            return False
    return True
