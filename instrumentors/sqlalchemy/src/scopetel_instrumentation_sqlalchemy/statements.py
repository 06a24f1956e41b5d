"""The listeners: a CLIENT span around each call SQLAlchemy makes to the driver, with
OpenTelemetry's instrumentation-suppression flag set for that call.

SQLAlchemy runs every statement through its dialect's ``do_execute`` /
``do_executemany`` / ``do_execute_no_params`` events (listeners there may run the
driver's call themselves), else the dialect's method of that name. Ours, listening on
the class (before any engine's own listeners), runs the call itself: it starts the span,
attaches a Context with the suppression flag, runs what SQLAlchemy would have run (the
listeners registered after ours, in order, until one runs the call; else the dialect's
method), then, in one ``try``/``finally``, detaches and ends the span (an error status
for any exception, ``BaseException`` and cancellation included). No error can leave the
flag behind, and no span is left open. Listening here rather than on
``before_cursor_execute``/``after_cursor_execute``/``handle_error`` spares SQLAlchemy
its connection-event dispatch on every statement (a quarter of the cost).

The flag: contrib's driver instrumentations (sqlite3, psycopg …: the DB-API ones) would
record the same statement again, at a cost on the application's thread even when their
span is not recorded; they check the flag and only call the driver.

Not recorded: statements run while instrumentation is suppressed, statements SQLAlchemy
runs with no execution context (SQL Server's ``IDENTITY_INSERT`` switches), a call that a
listener registered on the class before ours runs itself, and engines contrib's SQLAlchemy
instrumentation listens to as well (an application may instrument one explicitly): those
are left to it, so no statement gets two spans.

Any failure of our own is reported once and swallowed: the statement runs regardless.
"""

from typing import Any, Final

from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, get_current
from opentelemetry.context import set_value as _set_value
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import SpanKind, Status, StatusCode

from scopetel.instrumentation import report_internal_error
from scopetel_instrumentation_sqlalchemy.conventions import Conventions
from scopetel_instrumentation_sqlalchemy.engine_facts import EngineFacts

_FACTS: Final = "_scopetel_statement_facts"  # on the Engine
_CLIENT: Final = SpanKind.CLIENT


class StatementSpans:
    """The listeners of one ``instrument()`` call."""

    def __init__(self, tracer: trace.Tracer, names: Conventions) -> None:
        self._tracer = tracer
        self._names = names
        self._failed = False

    def failed(self, where: str) -> None:
        """Report our own failure (inside ``except``), the first one only."""
        if not self._failed:
            self._failed = True
            report_internal_error(f"sqlalchemy {where}")

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return self._run("do_execute", cursor, statement, context, (parameters, context))

    def do_executemany(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return self._run("do_executemany", cursor, statement, context, (parameters, context))

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any) -> bool:
        return self._run("do_execute_no_params", cursor, statement, context, (context,))

    def _run(
        self, event: str, cursor: Any, statement: str, context: Any, rest: tuple[Any, ...]
    ) -> bool:
        """Run the driver's call in a span (True: SQLAlchemy then skips it); False when
        the statement is not ours to record (SQLAlchemy goes on as without us)."""
        span = self._start(cursor, statement, context)
        if span is None:
            return False
        arguments = (cursor, statement, *rest)
        after_ours = self._listeners_after_ours(event, context)
        token = self._suppress()
        try:
            for listener in after_ours:
                if listener(*arguments):
                    break
            else:
                getattr(context.dialect, event)(*arguments)
        except BaseException as error:
            self._mark(span, error)
            raise
        finally:
            self._finish(span, token)
        return True

    def _start(self, cursor: Any, statement: str, context: Any) -> Any:
        """The statement's span, started; None when it is not ours to record."""
        if context is None:  # a dialect's internal statement (SQL Server's)
            return None
        try:
            if not is_instrumentation_enabled():
                return None
            engine = context.root_connection.engine
            facts = engine.__dict__.get(_FACTS)
            if facts is None:
                facts = engine.__dict__[_FACTS] = EngineFacts(engine, self._names)
            if facts.left_to_contrib:
                return None
            name, attributes = facts.span(engine, cursor, statement)
            return self._tracer.start_span(name, kind=_CLIENT, attributes=attributes)
        except Exception:
            self.failed("starting a span")
            return None

    def _listeners_after_ours(self, event: str, context: Any) -> tuple[Any, ...]:
        """The dialect's ``event`` listeners SQLAlchemy would call after ours (usually
        none: ours is the only one)."""
        try:
            listeners = getattr(context.dialect.dispatch, event)
            if len(listeners) == 1:
                return ()
            ours = getattr(self, event)
            found = list(listeners)
            return tuple(found[found.index(ours) + 1 :]) if ours in found else ()
        except Exception:
            self.failed("listeners")
            return ()

    def _suppress(self) -> Any:
        try:
            return attach(_set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, get_current()))
        except Exception:
            self.failed("suppressing")
            return None

    def _mark(self, span: Any, error: BaseException) -> None:
        try:
            if span.is_recording():
                span.set_status(Status(StatusCode.ERROR, str(error)))
        except Exception:
            self.failed("error status")

    def _finish(self, span: Any, token: Any) -> None:
        try:
            if token is not None:
                detach(token)
            span.end()
        except Exception:
            self.failed("ending a span")
