"""The Flask instrumentor in-process, through Flask's test client (which calls the
application as a WSGI server does). Under gunicorn and ``opentelemetry-instrument``:
``tests/frameworks/test_flask.py``."""

import importlib.util
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, abort, request
from flask.testing import FlaskClient
from scopetel_instrumentation_flask import FlaskInstrumentor
from werkzeug.test import TestResponse

import scopetel
from scopetel.testing import CapturingTransport, capture_envelopes
from tests.support.relay import assert_valid_event


def make_app() -> Flask:
    app = Flask("shop")
    app.test_client_class = BufferedClient

    @app.get("/items/<int:item_id>")
    def item(item_id: int) -> dict[str, int]:
        with scopetel.start_span(op="db", name="load item"):
            pass
        return {"id": item_id}

    @app.post("/login")
    def login() -> str:
        return f"hello {request.form['username']}"

    @app.post("/items")
    def create() -> dict[str, Any]:
        return dict(request.get_json())

    @app.get("/boom/<label>")
    def boom(label: str) -> str:
        scopetel.set_tag("shop.label", label)
        raise RuntimeError(f"boom {label}")

    @app.get("/gone")
    def gone() -> str:
        abort(404)

    return app


class BufferedClient(FlaskClient):
    """Reads each response whole and closes it, as a server does (which ends the request)."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def captured() -> Iterator[CapturingTransport]:
    with capture_envelopes(traces_sample_rate=1.0) as transport:
        yield transport


@pytest.fixture
def endpoint_style(captured: CapturingTransport) -> Iterator[None]:
    instrumentor = FlaskInstrumentor()
    instrumentor.uninstrument()
    instrumentor.instrument(transaction_style="endpoint")
    yield
    instrumentor.uninstrument()
    instrumentor.instrument()


def _transactions(transport: CapturingTransport) -> list[dict[str, Any]]:
    scopetel.flush(2)
    return transport.transactions()


def test_transactions_are_named_by_url_rule(captured: CapturingTransport) -> None:
    assert make_app().test_client().get("/items/7").status_code == 200
    (transaction,) = _transactions(captured)
    assert transaction["transaction"] == "GET /items/<int:item_id>"
    assert transaction["transaction_info"] == {"source": "route"}
    trace = transaction["contexts"]["trace"]
    assert (trace["op"], trace["origin"], trace["status"]) == (
        "http.server",
        "auto.http.flask",
        "ok",
    )
    assert [span["description"] for span in transaction["spans"]] == ["load item"]
    assert_valid_event(transaction)


def test_endpoint_style_names_by_endpoint(
    captured: CapturingTransport, endpoint_style: None
) -> None:
    client = make_app().test_client()
    client.get("/items/7")
    client.get("/boom/endpoint")
    names = {(t["transaction"], t["transaction_info"]["source"]) for t in _transactions(captured)}
    assert names == {("item", "component"), ("boom", "component")}
    (event,) = captured.events()
    assert (event["transaction"], event["transaction_info"]) == ("boom", {"source": "component"})


def test_transaction_style_from_the_environment(
    captured: CapturingTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCOPETEL_FLASK_TRANSACTION_STYLE", "endpoint")
    instrumentor = FlaskInstrumentor()
    instrumentor.uninstrument()
    instrumentor.instrument()
    try:
        make_app().test_client().get("/items/1")
        assert [t["transaction"] for t in _transactions(captured)] == ["item"]
    finally:
        monkeypatch.delenv("SCOPETEL_FLASK_TRANSACTION_STYLE")
        instrumentor.uninstrument()
        instrumentor.instrument()


def test_a_bad_transaction_style_is_refused() -> None:
    instrumentor = FlaskInstrumentor()
    instrumentor.uninstrument()
    try:
        with pytest.raises(ValueError, match="transaction_style"):
            instrumentor.instrument(transaction_style="path")
    finally:
        instrumentor.instrument()


def test_a_raising_view_is_one_unhandled_flask_event(captured: CapturingTransport) -> None:
    response = make_app().test_client().get("/boom/once")
    assert response.status_code == 500
    (transaction,) = _transactions(captured)
    (event,) = captured.events()  # Flask's "Exception on ..." log record adds none
    assert event["exception"]["values"][-1]["mechanism"] == {"type": "flask", "handled": False}
    assert event["tags"]["shop.label"] == "once"
    assert event["transaction"] == transaction["transaction"] == "GET /boom/<label>"
    assert transaction["contexts"]["trace"]["status"] == "internal_error"
    assert_valid_event(event)


def test_abort_404_is_no_error(captured: CapturingTransport) -> None:
    assert make_app().test_client().get("/gone").status_code == 404
    (transaction,) = _transactions(captured)
    assert transaction["contexts"]["trace"]["status"] == "not_found"
    assert captured.events() == []


def test_form_and_json_bodies_are_attached_and_scrubbed(captured: CapturingTransport) -> None:
    client = make_app().test_client()
    client.post("/login", data={"username": "ada", "password": "hunter2"})
    client.post("/items", json={"name": "pen", "price": 1.5})
    login, created = _transactions(captured)
    assert login["request"]["data"] == {"username": "ada", "password": "[Filtered]"}
    assert created["request"]["data"] == {"name": "pen", "price": 1.5}
    assert "hunter2" not in str(captured.envelopes)


def test_bodies_beyond_max_request_body_size_are_left_out() -> None:
    with capture_envelopes(traces_sample_rate=1.0, max_request_body_size="small") as captured:
        client = make_app().test_client()
        client.post("/items", json={"name": "x" * 2000})
        client.post("/items", json={"name": "short"})
        large, small = _transactions(captured)
    assert "data" not in large["request"]
    assert small["request"]["data"] == {"name": "short"}


def test_contribs_flask_span_is_folded_into_the_transaction(
    captured: CapturingTransport,
) -> None:
    from opentelemetry.instrumentation.flask import FlaskInstrumentor as Contrib

    app = make_app()
    Contrib().instrument_app(app)  # type: ignore[no-untyped-call]
    try:
        app.test_client().get("/items/3")
    finally:
        Contrib().uninstrument_app(app)  # type: ignore[no-untyped-call]
    (transaction,) = _transactions(captured)
    root = transaction["contexts"]["trace"]["span_id"]
    assert [(s["description"], s["parent_span_id"]) for s in transaction["spans"]] == [
        ("load item", root)
    ]


@pytest.mark.skipif(
    importlib.util.find_spec("flask_login") is None, reason="Flask-Login is not installed"
)
def test_the_flask_login_user_with_send_default_pii() -> None:
    import flask_login  # type: ignore[import-not-found]

    app = make_app()
    app.secret_key = "tests"
    manager = flask_login.LoginManager(app)

    class User(flask_login.UserMixin):  # type: ignore[misc]
        id = "42"
        username = "ada"

    manager.user_loader(lambda user_id: User())

    @app.get("/me")
    def me() -> str:
        flask_login.login_user(User())
        raise RuntimeError("as ada")

    with capture_envelopes(traces_sample_rate=1.0, send_default_pii=True) as captured:
        app.test_client().get("/me")
        (transaction,) = _transactions(captured)
    (event,) = captured.events()
    assert event["user"]["id"] == "42"
    assert transaction["user"]["username"] == "ada"
