"""SQLAlchemy statements on SQLite under ``opentelemetry-instrument`` (whatever SQLAlchemy
instrumentation it loads, with contrib's sqlite3 one): a transaction with statements
(one executemany, one failing), and a second transaction in a thread. The statement
``SELECT probe()`` calls back into Python while the driver runs it; printed (one JSON
line): whether instrumentation was suppressed there, and whether it is on after."""

import contextlib
import json
import threading

import sentry_sdk
import sqlalchemy
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

suppressed: list[bool] = []


def probe() -> int:
    suppressed.append(not is_instrumentation_enabled())
    return 1


engine = sqlalchemy.create_engine("sqlite://", connect_args={"check_same_thread": False})


@sqlalchemy.event.listens_for(engine, "connect")
def _add_probe(connection: object, record: object) -> None:
    connection.create_function("probe", 0, probe)  # type: ignore[attr-defined]


def in_thread() -> None:
    with sentry_sdk.start_transaction(name="thread", op="task"):
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 'thread'"))


with engine.connect() as connection:  # the dialect's first-connect statements, outside
    pass
with sentry_sdk.start_transaction(name="statements", op="task"):
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE post (id INTEGER)"))
        connection.execute(
            sqlalchemy.text("INSERT INTO post (id) VALUES (:id)"), [{"id": 1}, {"id": 2}]
        )
        connection.execute(sqlalchemy.text("SELECT probe()"))
        connection.execute(sqlalchemy.text("SELECT id FROM post")).all()
        with contextlib.suppress(sqlalchemy.exc.OperationalError):
            connection.execute(sqlalchemy.text("SELECT nope FROM missing"))
worker = threading.Thread(target=in_thread)
worker.start()
worker.join()
sentry_sdk.flush()
print(json.dumps({"suppressed": suppressed, "enabled_after": is_instrumentation_enabled()}))
