"""Integrations of libraries that arrive with the real-framework dependencies (Flask,
FastAPI, Celery, redis, SQLAlchemy, aiohttp): each enables its OpenTelemetry
instrumentation from init(integrations=[...]); skipped where the library is absent."""

import asyncio
from importlib.metadata import entry_points

import pytest

import scopetel
from tests.e2e.harness import HeaderServer
from tests.integrations.conftest import Start


def _instrumented(name: str) -> bool:
    (entry_point,) = entry_points(group="opentelemetry_instrumentor", name=name)
    return bool(entry_point.load()().is_instrumented_by_opentelemetry)


def _needs(library: str, instrumentation: str) -> None:
    pytest.importorskip(library, reason=f"{library} arrives with the framework dependencies")
    pytest.importorskip(instrumentation, reason=f"{instrumentation} is not installed")


def test_flask_requests_become_transactions(start: Start) -> None:
    _needs("flask", "opentelemetry.instrumentation.flask")
    from scopetel.integrations.flask import FlaskIntegration

    transport = start(traces_sample_rate=1.0, integrations=[FlaskIntegration()])
    import flask

    # scopetel's Flask instrumentor serves the requests; contrib's, which it replaces,
    # stays off (its span would repeat the server span)
    assert _instrumented("scopetel_flask")
    assert not _instrumented("flask")

    app = flask.Flask(__name__)
    app.add_url_rule("/items/<int:item_id>", "item", lambda item_id: {"id": item_id})
    # buffered: the response is read whole and closed, as a server does (which ends it)
    assert app.test_client().get("/items/5", buffered=True).status_code == 200
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert transaction["contexts"]["trace"]["op"] == "http.server"
    # FlaskIntegration given: sentry_sdk's name for transaction_style="url", the url rule
    assert transaction["transaction"] == "/items/<int:item_id>"


def test_flask_transaction_style_given_to_the_integration_is_honoured(start: Start) -> None:
    _needs("flask", "opentelemetry.instrumentation.flask")
    from scopetel.integrations.flask import FlaskIntegration

    transport = start(
        traces_sample_rate=1.0, integrations=[FlaskIntegration(transaction_style="endpoint")]
    )
    import flask

    app = flask.Flask(__name__)
    app.add_url_rule("/items/<int:item_id>", "item", lambda item_id: {"id": item_id})
    assert app.test_client().get("/items/5", buffered=True).status_code == 200
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert (transaction["transaction"], transaction["transaction_info"]) == (
        "item",
        {"source": "component"},
    )


def test_fastapi_transactions_named_by_endpoint(start: Start) -> None:
    _needs("fastapi", "starlette.testclient")
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from scopetel.integrations.fastapi import FastApiIntegration

    transport = start(
        traces_sample_rate=1.0, integrations=[FastApiIntegration(transaction_style="endpoint")]
    )
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    with TestClient(app) as client:
        assert client.get("/items/5").status_code == 200
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert transaction["transaction"].endswith("read_item")
    assert transaction["transaction_info"]["source"] == "component"


def test_fastapi_requests_are_scopetels_alone_without_a_lifespan(start: Start) -> None:
    """FastAPI's own telemetry (a second server span, ``fastapi.*`` spans) stays off, and
    scopetel's layer serves the first request even when no lifespan event came first
    (FastAPI would build its middleware stack before scopetel's layer joined it)."""
    _needs("fastapi", "starlette.testclient")
    from fastapi import FastAPI
    from starlette.testclient import TestClient

    from scopetel.integrations.fastapi import FastApiIntegration

    transport = start(traces_sample_rate=1.0, integrations=[FastApiIntegration()])
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        scopetel.set_tag("item", item_id)
        return {"id": item_id}

    assert TestClient(app).get("/items/5").status_code == 200  # no lifespan: no `with`
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert transaction["contexts"]["trace"]["origin"] == "auto.http.starlette"
    assert transaction["transaction"] == "/items/{item_id}"
    assert str(transaction["tags"]["item"]) == "5"
    assert transaction["spans"] == []  # no fastapi.dependencies/endpoint/serialization


def test_sqlalchemy_statements_are_spans_inside_a_transaction(start: Start) -> None:
    _needs("sqlalchemy", "opentelemetry.instrumentation.sqlalchemy")
    import sqlalchemy

    from scopetel.integrations.sqlalchemy import SqlalchemyIntegration

    transport = start(traces_sample_rate=1.0, integrations=[SqlalchemyIntegration()])
    engine = sqlalchemy.create_engine("sqlite://")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("SELECT 1"))  # outside: no transaction
        with scopetel.start_transaction(name="query"):
            connection.execute(sqlalchemy.text("SELECT 2"))
    scopetel.flush()
    (transaction,) = transport.transactions()
    # scopetel's instrumentor (scopetel-instrumentation-sqlalchemy), with sentry_sdk's origin
    assert [(span["description"], span["origin"]) for span in transaction["spans"]] == [
        ("SELECT 2", "auto.db.sqlalchemy")
    ]


def test_sqlalchemy_with_scopetels_instrumentor_disabled_uses_contribs(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs("sqlalchemy", "opentelemetry.instrumentation.sqlalchemy")
    import sqlalchemy
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor as Contrib
    from scopetel_instrumentation_sqlalchemy import SQLAlchemyInstrumentor

    from scopetel.integrations.sqlalchemy import SqlalchemyIntegration

    SQLAlchemyInstrumentor().uninstrument()  # as in a process where it was never on
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "scopetel_sqlalchemy")
    try:
        transport = start(traces_sample_rate=1.0, integrations=[SqlalchemyIntegration()])
        assert not SQLAlchemyInstrumentor().is_instrumented_by_opentelemetry
        engine = sqlalchemy.create_engine("sqlite://")
        with scopetel.start_transaction(name="query"):
            with engine.connect() as connection:
                connection.execute(sqlalchemy.text("SELECT 2"))
        scopetel.flush()
    finally:
        Contrib().uninstrument()
    (transaction,) = transport.transactions()
    statements = [span for span in transaction["spans"] if span["description"] == "SELECT 2"]
    assert [span["origin"] for span in statements] == ["auto.otel.sqlalchemy"]


def test_celery_options_reach_scopetel_celery(start: Start) -> None:
    _needs("celery", "opentelemetry.instrumentation.celery")
    from scopetel_instrumentation_celery.beat import BeatMonitoring
    from scopetel_instrumentation_celery.producer import Propagation

    from scopetel.integrations.celery import CeleryIntegration

    integration = CeleryIntegration(
        monitor_beat_tasks=True, exclude_beat_tasks=["cleanup-.*"], propagate_traces=False
    )
    try:
        start(integrations=[integration])
        assert _instrumented("scopetel_celery")
        assert scopetel.get_client().get_integration("celery") is not None
        assert BeatMonitoring.enabled and not Propagation.enabled
        assert BeatMonitoring.excluded("cleanup-nightly")
        assert not BeatMonitoring.excluded("report")
    finally:
        start(integrations=[CeleryIntegration()])  # the defaults again, for later tests
    assert not BeatMonitoring.enabled and Propagation.enabled


def test_redis_commands_instrumented(start: Start) -> None:
    _needs("redis", "opentelemetry.instrumentation.redis")
    from scopetel.integrations.redis import RedisIntegration

    start(integrations=[RedisIntegration(cache_prefixes=["cache:"])])
    assert _instrumented("redis")
    assert scopetel.get_client().get_integration(RedisIntegration) is not None


def test_aiohttp_client_requests_are_spans(start: Start) -> None:
    _needs("aiohttp", "opentelemetry.instrumentation.aiohttp_client")
    import aiohttp

    from scopetel.integrations.aiohttp import AioHttpIntegration

    transport = start(traces_sample_rate=1.0, integrations=[AioHttpIntegration()])

    async def call(url: str) -> None:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            await response.read()

    with HeaderServer() as server:
        with scopetel.start_transaction(name="calls"):
            asyncio.run(call(f"{server.url}/inside"))
        assert "sentry-trace" in server.headers_for("/inside")
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert [span["op"] for span in transaction["spans"]] == ["http.client"]
