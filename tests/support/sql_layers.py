"""A SQLAlchemy instrumentation over OpenTelemetry's sqlite3 one, as both are on when
both are installed under ``opentelemetry-instrument``."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor


@contextmanager
def over_sqlite3(sqlalchemy_instrumentor: Any) -> Iterator[None]:
    """Both instrumented for the block, both uninstrumented after it."""
    SQLite3Instrumentor().instrument()
    sqlalchemy_instrumentor.instrument()
    try:
        yield
    finally:
        sqlalchemy_instrumentor.uninstrument()
        SQLite3Instrumentor().uninstrument()
