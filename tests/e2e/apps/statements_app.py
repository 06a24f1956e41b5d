"""Three SQL statements through SQLAlchemy on sqlite3 inside a transaction, then a
message event, under ``opentelemetry-instrument`` (both instrumentations on). The statement ``SELECT
probe()`` calls back into Python while sqlite3 runs it: the span current there is the
driver's, and whether it records is printed (one JSON line)."""

import json

import sentry_sdk
import sqlalchemy
from opentelemetry import trace

seen: list[bool] = []


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
print(json.dumps({"driver_span_recording": seen}))
