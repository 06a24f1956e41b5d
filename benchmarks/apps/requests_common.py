"""What every benchmark request does, under the SDK the benchmark chose.

``BENCH_SDK`` is ``none`` (no SDK: spans are empty ``with`` blocks), ``scopetel`` (the
process runs under ``opentelemetry-instrument``, which configured everything; the code
says ``import sentry_sdk``, which scopetel provides) or ``sentry_sdk`` (sentry-sdk 2.75
in its own virtualenv, initialised here as its documentation says, default
integrations). Per request: 10 SQLAlchemy queries on an in-memory SQLite database (spans
of the SQLAlchemy instrumentation/integration) and 10 spans of the application's own
(``sentry_sdk.start_span``), each doing a little work: 20 spans and the request's
transaction.
"""

import contextlib
import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import StaticPool

SDK = os.environ.get("BENCH_SDK", "none")
QUERIES = 10
OWN_SPANS = 10


def _span_factory() -> Callable[..., Any]:
    if SDK == "none":
        return lambda **_: contextlib.nullcontext()
    import sentry_sdk

    if SDK == "sentry_sdk":
        sentry_sdk.init(
            dsn=os.environ["SENTRY_DSN"],
            traces_sample_rate=1.0,
            release=os.environ.get("SENTRY_RELEASE"),
        )
    return sentry_sdk.start_span


span = _span_factory()
engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
with engine.begin() as setup:
    setup.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, price REAL)"))
    setup.execute(
        text("INSERT INTO item (name, price) VALUES (:name, :price)"),
        [{"name": f"item {i}", "price": i * 1.5} for i in range(50)],
    )


def handle_request() -> dict[str, Any]:
    """The request's work: the same on every SDK."""
    total = 0.0
    with engine.connect() as connection:
        for index in range(QUERIES):
            rows = connection.execute(
                text("SELECT id, name, price FROM item WHERE id > :low LIMIT 5"),
                {"low": index},
            ).fetchall()
            total += sum(row.price for row in rows)
    names = []
    for index in range(OWN_SPANS):
        with span(op="render", name=f"render part {index}"):
            names.append(",".join(str(n) for n in range(20)))
    return {"total": total, "parts": len(names)}
