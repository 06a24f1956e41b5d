"""Workload: SQLAlchemy statements on SQLite inside transactions, as a request runs them.

Requests of 10 SELECTs each (its own transaction, one ``engine.connect()``), the rows
fetched, Sentry as the only reader of spans; the application thread's CPU time per
statement (least of 15 repeats of 30 requests, flushed between repeats). ``bare``:
SQLAlchemy uninstrumented (scopetel on, transactions only); ``contrib``: OpenTelemetry's
SQLAlchemy and sqlite3 instrumentations, both on as ``opentelemetry-instrument`` turns
them on when both are installed; ``scopetel``: scopetel's SQLAlchemy instrumentor with
contrib's sqlite3 one (what ``opentelemetry-instrument`` loads now). What an
instrumentation adds per statement is its figure less ``bare``'s.
"""

from typing import Any

from benchmarks import harness

TITLE = "SQLAlchemy statements (10 per request) on SQLite"
DESCRIPTION = __doc__.split("\n\n", 1)[1].strip()
BARE, CONTRIB, SCOPETEL = "bare", "contrib", "scopetel"
VARIANTS = (BARE, CONTRIB, SCOPETEL)
REQUESTS = 30
STATEMENTS = 10
METRICS = (
    harness.Metric(
        "statement_ns", "ns", "CPU time of the application thread per statement", timing=True
    ),
    harness.Metric("wall_ns", "ns", "the same in wall time"),
)
TARGETS = (
    harness.Target(
        "≤ 0.7x contrib's (with bare ≈ 1/3 of contrib: about half of what contrib adds)",
        "statement_ns",
        SCOPETEL,
        CONTRIB,
        at_most=0.7,
    ),
)


def measure(variant: str, quick: bool) -> dict[str, Any]:
    import scopetel

    scopetel.init(traces_sample_rate=1.0, default_integrations=False)
    if variant != BARE:
        from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

        SQLite3Instrumentor().instrument()
    if variant == CONTRIB:
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        SQLAlchemyInstrumentor().instrument()
    elif variant == SCOPETEL:
        from scopetel_instrumentation_sqlalchemy import SQLAlchemyInstrumentor as Ours

        Ours().instrument()
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import StaticPool

    engine = create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, price REAL)"))
        setup.execute(
            text("INSERT INTO item (name, price) VALUES (:name, :price)"),
            [{"name": f"item {i}", "price": i * 1.5} for i in range(50)],
        )
    query = text("SELECT id, name, price FROM item WHERE id > :low LIMIT 5")
    requests = 3 if quick else REQUESTS

    def batch() -> None:
        for _ in range(requests):
            with scopetel.start_transaction(name="GET /items", op="http.server"):
                with engine.connect() as connection:
                    for low in range(STATEMENTS):
                        connection.execute(query, {"low": low}).fetchall()

    timing = harness.recording_ns(
        batch,
        requests * STATEMENTS,
        before=lambda: None,
        after=lambda: scopetel.flush(5),
        quick=quick,
    )
    return {"statement_ns": timing.cpu_ns, "wall_ns": timing.wall_ns}


if __name__ == "__main__":
    harness.main(measure, VARIANTS)
