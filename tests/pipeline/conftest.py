"""Fixtures of the pipeline tests."""

from collections.abc import Iterator

import pytest
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

from tests.support.sql_layers import over_sqlite3


@pytest.fixture
def sql_layers() -> Iterator[None]:
    """OpenTelemetry's SQLAlchemy and sqlite3 instrumentations, both on (as when both are
    installed under ``opentelemetry-instrument``)."""
    with over_sqlite3(SQLAlchemyInstrumentor()):
        yield
