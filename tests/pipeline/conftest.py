"""Fixtures of the pipeline tests."""

from collections.abc import Iterator

import pytest
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor


@pytest.fixture
def sql_layers() -> Iterator[None]:
    """OpenTelemetry's SQLAlchemy and sqlite3 instrumentations, both on (as when both are
    installed under ``opentelemetry-instrument``)."""
    SQLite3Instrumentor().instrument()
    SQLAlchemyInstrumentor().instrument()
    try:
        yield
    finally:
        SQLAlchemyInstrumentor().uninstrument()
        SQLite3Instrumentor().uninstrument()
