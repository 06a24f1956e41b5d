"""Three SQL statements through SQLAlchemy on sqlite3 inside a transaction, then a
message event, under ``opentelemetry-instrument`` (both instrumentations on). The statement ``SELECT
probe()`` calls back into Python while sqlite3 runs it: the span current there is the
driver's, and whether it records is printed (one JSON line). With ``OWN_PROCESSOR=1`` the
application adds a span processor of its own first, and the scopes of the statement's
spans it got are printed too."""

import json
import os

import sentry_sdk
import sqlalchemy
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

seen: list[bool] = []
own = InMemorySpanExporter()
if os.environ.get("OWN_PROCESSOR") == "1":
    trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(own))  # type: ignore[attr-defined]


def probe() -> int:
    seen.append(trace.get_current_span().is_recording())
    return 1


engine = sqlalchemy.create_engine("sqlite://")


@sqlalchemy.event.listens_for(engine, "connect")
def _add_probe(connection: object, record: object) -> None:
    connection.create_function("probe", 0, probe)  # type: ignore[attr-defined]


with sentry_sdk.start_transaction(name="statements", op="task"):
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE post (id INTEGER)"))
        connection.execute(sqlalchemy.text("SELECT probe()"))
        connection.execute(sqlalchemy.text("SELECT id FROM post"))
    sentry_sdk.capture_message("after the statements")  # shows their breadcrumbs
sentry_sdk.flush()
shown: dict[str, object] = {"driver_span_recording": seen}
if os.environ.get("OWN_PROCESSOR") == "1":
    shown["own_processor"] = sorted(
        span.instrumentation_scope.name.rsplit(".", 1)[-1]
        for span in own.get_finished_spans()
        if span.instrumentation_scope is not None
        and (span.attributes or {}).get("db.statement") == "SELECT probe()"
    )
print(json.dumps(shown))
