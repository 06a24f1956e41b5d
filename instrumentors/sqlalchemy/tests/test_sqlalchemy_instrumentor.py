"""The SQLAlchemy instrumentor in-process, on real SQLite engines (sync and async), with
contrib's sqlite3 instrumentation on as ``opentelemetry-instrument`` would have it.
Under ``opentelemetry-instrument`` with Sentry and OTLP receivers, side by side with
contrib's: ``tests/e2e/test_sqlalchemy_spans.py``."""

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from scopetel_instrumentation_sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy.ext.asyncio import create_async_engine

import scopetel
from scopetel.instrumentation import raise_internal_errors
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event
from tests.support.sql_layers import over_sqlite3


class Interrupted(BaseException):
    """Raised by the driver mid-statement, as a KeyboardInterrupt would be."""


class _Cursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = ()) -> "_Cursor":
        if "interrupt" in sql:
            raise Interrupted
        return super().execute(sql, parameters)


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


@pytest.fixture
def instrumented() -> Iterator[None]:
    with over_sqlite3(SQLAlchemyInstrumentor()):
        yield


def _db_spans(transaction: dict[str, Any]) -> list[dict[str, Any]]:
    """Statement spans (not the dialect's first-connect PRAGMAs, run on a bare cursor)."""
    return [
        span
        for span in transaction["spans"]
        if span["op"] == "db" and not span["description"].startswith("PRAGMA")
    ]


def _one_transaction(transport: CapturingTransport) -> dict[str, Any]:
    (transaction,) = transport.transactions()
    assert_valid_event(transaction)
    return transaction


def test_a_span_per_statement_and_none_of_the_drivers(instrumented: None) -> None:
    engine = sqlalchemy.create_engine("sqlite://")
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with scopetel.start_transaction(name="statements", op="task"):
            with engine.begin() as connection:
                connection.execute(sqlalchemy.text("CREATE TABLE post (id INTEGER)"))
                connection.execute(
                    sqlalchemy.text("INSERT INTO post (id) VALUES (:id)"), [{"id": 1}, {"id": 2}]
                )
                rows = connection.execute(sqlalchemy.text("SELECT id FROM post")).all()
            assert is_instrumentation_enabled()  # the suppression flag left with the call
    assert [tuple(row) for row in rows] == [(1,), (2,)]
    spans = _db_spans(_one_transaction(transport))
    assert [(span["description"], span["origin"]) for span in spans] == [
        ("CREATE TABLE post (id INTEGER)", "auto.db.sqlalchemy"),
        ("INSERT INTO post (id) VALUES (?)", "auto.db.sqlalchemy"),  # executemany: one span
        ("SELECT id FROM post", "auto.db.sqlalchemy"),
    ]
    assert spans[2]["data"]["db.system"] == "sqlite"


def test_errors_mark_the_span_and_never_leave_the_flag_behind(instrumented: None) -> None:
    engine = sqlalchemy.create_engine(
        "sqlite://", module=sqlite3, connect_args={"factory": _Connection}
    )
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with scopetel.start_transaction(name="errors", op="task"):
            with engine.connect() as connection:
                with pytest.raises(sqlalchemy.exc.OperationalError):
                    connection.execute(sqlalchemy.text("SELECT nope FROM missing"))
                assert is_instrumentation_enabled()
            with engine.connect() as connection, pytest.raises(Interrupted):
                connection.execute(sqlalchemy.text("SELECT 'interrupt'"))
            assert is_instrumentation_enabled()
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT 1"))
    spans = _db_spans(_one_transaction(transport))
    statuses = {span["description"]: span.get("status") for span in spans}
    assert statuses == {
        "SELECT nope FROM missing": "internal_error",
        "SELECT 'interrupt'": "internal_error",
        "SELECT 1": None,  # as sentry_sdk: no status unless one was set
    }


def test_threads_record_into_their_own_transactions(instrumented: None) -> None:
    engine = sqlalchemy.create_engine("sqlite://")

    def work(label: str) -> None:
        with scopetel.start_transaction(name=label, op="task"):
            with engine.connect() as connection:
                for _ in range(3):
                    connection.execute(sqlalchemy.text(f"SELECT '{label}'"))

    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    transactions = transport.transactions()
    assert sorted(t["transaction"] for t in transactions) == ["t0", "t1", "t2", "t3"]
    for transaction in transactions:
        assert_valid_event(transaction)
        root = transaction["contexts"]["trace"]["span_id"]
        spans = _db_spans(transaction)
        assert [span["description"] for span in spans] == [
            f"SELECT '{transaction['transaction']}'"
        ] * 3
        assert {span["parent_span_id"] for span in spans} == {root}


def test_async_engines_and_concurrent_tasks(instrumented: None) -> None:
    async def main() -> None:
        engine = create_async_engine("sqlite+aiosqlite://")

        async def task(label: str) -> None:
            with scopetel.start_span(op="task", name=label):
                async with engine.connect() as connection:
                    await connection.execute(sqlalchemy.text(f"SELECT '{label}'"))
                    with pytest.raises(sqlalchemy.exc.OperationalError):
                        await connection.execute(sqlalchemy.text("SELECT nope FROM missing"))
                assert is_instrumentation_enabled()

        with scopetel.start_transaction(name="async", op="task"):
            await asyncio.gather(task("a"), task("b"))
        await engine.dispose()

    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        asyncio.run(main())
    transaction = _one_transaction(transport)
    tasks = {
        span["description"]: span["span_id"]
        for span in transaction["spans"]
        if span["op"] == "task"
    }
    db = _db_spans(transaction)
    assert sorted((span["description"], span["parent_span_id"]) for span in db) == sorted(
        [
            ("SELECT 'a'", tasks["a"]),
            ("SELECT 'b'", tasks["b"]),
            ("SELECT nope FROM missing", tasks["a"]),
            ("SELECT nope FROM missing", tasks["b"]),
        ]
    )
    assert {span.get("status") for span in db if "missing" in span["description"]} == {
        "internal_error"
    }


class _BrokenTracer(trace.Tracer):
    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        raise RuntimeError("tracer broken")

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("tracer broken")


class _BrokenProvider(trace.TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _BrokenTracer()


def test_a_failing_tracer_never_stops_a_statement_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    SQLAlchemyInstrumentor().instrument(tracer_provider=_BrokenProvider())
    raise_internal_errors(False)
    try:
        engine = sqlalchemy.create_engine("sqlite://")
        with caplog.at_level(logging.ERROR, logger="scopetel"), engine.connect() as connection:
            assert connection.execute(sqlalchemy.text("SELECT 42")).scalar() == 42
            assert connection.execute(sqlalchemy.text("SELECT 43")).scalar() == 43
    finally:
        raise_internal_errors(True)
        SQLAlchemyInstrumentor().uninstrument()
    errors = [record for record in caplog.records if "internal error" in record.getMessage()]
    assert [record.getMessage() for record in errors] == [
        "scopetel internal error in sqlalchemy starting a span"
    ]


def test_uninstrument_removes_every_listener() -> None:
    SQLAlchemyInstrumentor().instrument()
    SQLAlchemyInstrumentor().uninstrument()
    engine = sqlalchemy.create_engine("sqlite://")
    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with scopetel.start_transaction(name="none", op="task"):
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT 1"))
    assert _db_spans(_one_transaction(transport)) == []


def test_an_engine_the_application_traces_with_contrib_is_left_to_it(instrumented: None) -> None:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor as Contrib

    engine = sqlalchemy.create_engine("sqlite://")
    Contrib().instrument(engine=engine)
    try:
        with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
            with scopetel.start_transaction(name="contrib", op="task"):
                with engine.connect() as connection:
                    connection.execute(sqlalchemy.text("SELECT 7"))
    finally:
        Contrib().uninstrument()
    statements = [
        s for s in _db_spans(_one_transaction(transport)) if s["description"] == "SELECT 7"
    ]
    assert [span["origin"] for span in statements] == ["auto.otel.sqlalchemy"]


def test_the_applications_own_execute_listeners_still_run_in_order(instrumented: None) -> None:
    engine = sqlalchemy.create_engine("sqlite://")
    seen: list[str] = []

    @sqlalchemy.event.listens_for(engine, "do_execute")
    def looks(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        seen.append(f"looked at {statement}")
        return False

    @sqlalchemy.event.listens_for(engine, "do_execute")
    def runs(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        seen.append(f"ran {statement} suppressed={not is_instrumentation_enabled()}")
        cursor.execute(statement, parameters)
        return True

    @sqlalchemy.event.listens_for(engine, "do_execute")
    def never(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        seen.append("never: the one before ran the call")
        return False

    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with scopetel.start_transaction(name="listeners", op="task"):
            with engine.connect() as connection:
                value = connection.execute(sqlalchemy.text("SELECT :x"), {"x": 5}).scalar()
    assert value == 5
    assert seen == ["looked at SELECT ?", "ran SELECT ? suppressed=True"]
    (span,) = _db_spans(_one_transaction(transport))
    assert span["description"] == "SELECT ?"


def test_pool_connections_run_the_driver_without_contribs_proxy(instrumented: None) -> None:
    engine = sqlalchemy.create_engine("sqlite://")
    seen: list[int] = []

    @sqlalchemy.event.listens_for(engine, "connect")
    def set_up(dbapi_connection: Any, record: Any) -> None:  # the application's own
        dbapi_connection.execute("PRAGMA user_version = 7")
        seen.append(1)

    with capture_envelopes(traces_sample_rate=1.0, default_integrations=False) as transport:
        with scopetel.start_transaction(name="raw", op="task"):
            with engine.connect() as connection:
                version = connection.execute(sqlalchemy.text("PRAGMA user_version")).scalar()
                driver = connection.connection.dbapi_connection
    assert (version, seen) == (7, [1])
    assert type(driver) is sqlite3.Connection  # not contrib's TracedConnectionProxy
    spans = [
        (s["description"], s["origin"])
        for s in _one_transaction(transport)["spans"]
        if s["op"] == "db"
    ]
    assert spans == [
        # the dialect's set-up, on the proxy it was given, before SQLAlchemy's checkout
        ("PRAGMA read_uncommitted", "auto.otel.sqlite3"),
        ("PRAGMA user_version", "auto.db.sqlalchemy"),  # and no driver span of it
    ]


def test_without_it_contribs_proxy_stays() -> None:
    """The detection above matches the proxy contrib's sqlite3 instrumentation makes."""
    from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

    SQLite3Instrumentor().instrument()
    try:
        engine = sqlalchemy.create_engine("sqlite://")
        with engine.connect() as connection:
            driver = connection.connection.dbapi_connection
    finally:
        SQLite3Instrumentor().uninstrument()
    assert type(driver) is not sqlite3.Connection
    assert type(driver.__wrapped__) is sqlite3.Connection
