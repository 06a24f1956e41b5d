"""Spans Sentry never shows, started non-recording while Sentry is the only reader.

Some spans of contrib instrumentations repeat what another span says, and Sentry's
transaction leaves them out (``_pipeline.query_layers``, ``_pipeline.redundant``).
While no processor but scopetel's reads spans (no OTLP exporter, nothing the
application added), recording them is wasted work on the application's thread: the
lean tracer starts them non-recording, with their parent's sampled flag, and their
instrumentation then skips its attribute work too. With any other processor they are
recorded, as the instrumentations make them. Two kinds, both leaves:

* **A driver's span of a statement SQLAlchemy's span records.** With OpenTelemetry's
  SQLAlchemy instrumentation (or scopetel's, when the driver's call escapes its
  suppression flag) and a driver's (sqlite3, psycopg …) both on, as
  ``opentelemetry-instrument`` turns on whatever is installed, every statement is
  recorded twice: SQLAlchemy's span, then, inside it, the driver's. The duplicate: a
  CLIENT span of a driver instrumentation started while the last CLIENT span SQLAlchemy
  started on this thread is still open, under the same parent (SQLAlchemy runs one
  driver call between its before- and after-cursor events, and its span is not made
  current). One driver span per SQLAlchemy span: a second call of the driver there
  (which SQLAlchemy never makes) is recorded. Per thread (greenlet under gevent).
* **ASGI message spans** (``GET /items http send``, ``… http receive``, ``… websocket
  send``): INTERNAL spans of contrib's ASGI middleware (ASGI, Starlette and FastAPI
  instrumentations) that time the hand-over of one message; the server span already has
  the status and the duration.
"""

import threading
from typing import Final, Protocol

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import SpanContext, SpanKind

from scopetel._semconv.sentry_attributes import SQLALCHEMY_TRACER

NONE: Final = 0
OUTER: Final = 1  # an ORM layer: its statement span covers the driver's call
DRIVER: Final = 2
MESSAGES: Final = 3  # ASGI middleware: its message spans are left out

_CONTRIB: Final = "opentelemetry.instrumentation."
_ROLES: Final = {
    _CONTRIB + "sqlalchemy": OUTER,
    SQLALCHEMY_TRACER: OUTER,  # scopetel-instrumentation-sqlalchemy
    **{
        _CONTRIB + name: DRIVER
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
    },
    **{_CONTRIB + name: MESSAGES for name in ("asgi", "starlette", "fastapi")},
}
_MESSAGE_SUFFIXES: Final = (" http send", " http receive", " websocket send", " websocket receive")


def role_of(scope_name: str) -> int:
    """What the tracer of ``scope_name`` may start that Sentry never shows (``NONE``)."""
    return _ROLES.get(scope_name, NONE)


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


def unread(
    role: int,
    kind: SpanKind,
    name: str,
    parent_span_id: int,
    processors: tuple[SpanProcessor, ...],
) -> bool:
    """Whether a span starting now, of a tracer with ``role``, is one Sentry never shows
    and no other processor reads: start it non-recording."""
    if role == DRIVER:
        return kind is SpanKind.CLIENT and recorded_above(parent_span_id, processors)
    if role == MESSAGES:  # by its name: an ASGI message span's attributes come later
        return (
            kind is SpanKind.INTERNAL
            and name.endswith(_MESSAGE_SUFFIXES)
            and only_sentry(processors)
        )
    return False


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
