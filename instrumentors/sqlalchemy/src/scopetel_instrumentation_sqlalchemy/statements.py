"""The listeners: a CLIENT span per statement, and the driver's call run with
OpenTelemetry's instrumentation-suppression flag set.

SQLAlchemy calls, for every statement: ``before_cursor_execute`` (the span starts; it is
kept on the execution context, never made current), the dialect's ``do_execute`` /
``do_executemany`` / ``do_execute_no_params`` (the driver's call), then
``after_cursor_execute`` (the span ends) or, on an error, ``handle_error`` (the span
gets an error status and ends).

The driver's call: contrib's driver instrumentations (sqlite3, psycopg …: the DB-API
ones) would record the same statement again, at a cost on the application's thread
even when the span is not recorded. Our ``do_execute`` listener runs the dialect's own
method inside a Context carrying the suppression flag, attached and detached in one
``try``/``finally`` around that call: no error, ``BaseException`` or cancellation can
leave the flag behind. It does so only while our span of the statement is open and
when it is the dialect's only listener of that event (SQLAlchemy stops at the first
listener that runs the call: another one, the application's, runs it as it wants, and
the driver's span is then recorded, and left out of the Sentry transaction by
scopetel's pipeline).

An engine contrib's SQLAlchemy instrumentation also listens to (an application may
instrument one explicitly) is left to it: no span of ours, no duplicate.

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

_SPAN: Final = "_scopetel_span"  # on SQLAlchemy's ExecutionContext (one per execution)
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

    def before_cursor_execute(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> tuple[str, Any]:
        if context is not None:  # None: a dialect's internal statement (SQL Server's)
            try:
                if is_instrumentation_enabled():
                    engine = conn.engine
                    facts = engine.__dict__.get(_FACTS)
                    if facts is None:
                        facts = engine.__dict__[_FACTS] = EngineFacts(engine, self._names)
                    if facts.left_to_contrib:
                        return statement, parameters
                    name, attributes = facts.span(engine, cursor, statement)
                    setattr(
                        context,
                        _SPAN,
                        self._tracer.start_span(name, kind=_CLIENT, attributes=attributes),
                    )
            except Exception:
                self.failed("before_cursor_execute")
        return statement, parameters

    def after_cursor_execute(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        try:
            span = getattr(context, _SPAN, None)
            if span is not None:
                setattr(context, _SPAN, None)
                span.end()
        except Exception:
            self.failed("after_cursor_execute")

    def handle_error(self, exception_context: Any) -> None:
        try:
            context = exception_context.execution_context
            span = getattr(context, _SPAN, None)
            if span is not None:
                setattr(context, _SPAN, None)
                if span.is_recording():
                    error = exception_context.original_exception
                    span.set_status(Status(StatusCode.ERROR, str(error)))
                span.end()
        except Exception:
            self.failed("handle_error")

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        token = self._suppressing(context, "do_execute")
        if token is None:
            return False
        try:
            context.dialect.do_execute(cursor, statement, parameters, context)
        finally:
            self._restore(token)
        return True

    def do_executemany(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        token = self._suppressing(context, "do_executemany")
        if token is None:
            return False
        try:
            context.dialect.do_executemany(cursor, statement, parameters, context)
        finally:
            self._restore(token)
        return True

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any) -> bool:
        token = self._suppressing(context, "do_execute_no_params")
        if token is None:
            return False
        try:
            context.dialect.do_execute_no_params(cursor, statement, context)
        finally:
            self._restore(token)
        return True

    def _suppressing(self, context: Any, event: str) -> Any:
        """The token of a Context with the suppression flag, now attached; None (nothing
        attached) unless our span of the statement is open and ours is the dialect's only
        ``event`` listener."""
        try:
            if getattr(context, _SPAN, None) is None:
                return None
            if len(getattr(context.dialect.dispatch, event)) != 1:
                return None
            return attach(_set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, get_current()))
        except Exception:
            self.failed(event)
            return None

    def _restore(self, token: Any) -> None:
        try:
            detach(token)
        except Exception:
            self.failed("detach")
