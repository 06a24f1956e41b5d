"""Django through DjangoIntegration, in-process with the real framework and its test
client: signal receivers get spans (``signals_spans``, ``signals_denylist``) and request
bodies reach ``request.data`` as sentry_sdk's Django integration sends them."""

import json
from typing import Any
from urllib.parse import urlencode

import pytest

import scopetel
from scopetel.integrations.django import DjangoIntegration
from tests.integrations.conftest import Start
from tests.support.django_settings import configure_django
from tests.support.relay import assert_valid_event

django = pytest.importorskip("django")
configure_django()

from django.dispatch import Signal  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

order_placed = Signal()
RECEIVER = f"{__name__}.send_confirmation"


def send_confirmation(sender: object, **kwargs: Any) -> None:
    with scopetel.start_span(op="email", name="confirmation"):
        pass


order_placed.connect(send_confirmation)


@csrf_exempt
def place_order(request: HttpRequest) -> HttpResponse:
    if request.content_type == "application/json":
        order = json.loads(request.body)
    else:
        order = request.POST.dict()
    order_placed.send(sender=None, order=order)
    return HttpResponse(status=201)


urlpatterns = [path("orders/", place_order)]
FORM = "application/x-www-form-urlencoded"  # the test client's default is multipart
pytestmark = pytest.mark.usefixtures("urls")


@pytest.fixture
def urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


def _one_transaction(transport: Any) -> dict[str, Any]:
    scopetel.flush()
    (transaction,) = transport.transactions()
    assert_valid_event(transaction)
    return dict(transaction)


def _signal_spans(transaction: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["description"]: s for s in transaction["spans"] if s.get("op") == "event.django"}


def test_each_signal_receiver_runs_in_a_span_of_the_request(start: Start) -> None:
    transport = start(traces_sample_rate=1.0, integrations=[DjangoIntegration()])
    assert Client().post("/orders/", "item=tea", content_type=FORM).status_code == 201
    transaction = _one_transaction(transport)
    root = transaction["contexts"]["trace"]["span_id"]
    spans = _signal_spans(transaction)
    placed = spans[RECEIVER]
    assert placed["data"]["signal"] == RECEIVER
    assert placed["origin"] == "auto.http.django"
    assert placed["parent_span_id"] == root
    (email,) = [s for s in transaction["spans"] if s.get("op") == "email"]
    assert email["parent_span_id"] == placed["span_id"]  # what the receiver did is inside
    # request_started is sent before any middleware: its receivers are in the request too
    started = spans["django.db.reset_queries"]
    assert started["parent_span_id"] == root
    assert started["start_timestamp"] <= placed["start_timestamp"]


def test_a_signal_sent_outside_any_request_makes_no_span(start: Start) -> None:
    transport = start(traces_sample_rate=1.0, integrations=[DjangoIntegration()])
    order_placed.send(sender=None, order={})
    scopetel.flush()
    # the receiver's own span is an entry point (the orphan-span rule); no signal span
    (transaction,) = transport.transactions()
    assert transaction["contexts"]["trace"]["op"] == "email"
    assert transaction["spans"] == []


def test_signals_spans_false_and_the_denylist(start: Start) -> None:
    transport = start(traces_sample_rate=1.0, integrations=[DjangoIntegration(signals_spans=False)])
    assert Client().post("/orders/", "item=tea", content_type=FORM).status_code == 201
    assert _signal_spans(_one_transaction(transport)) == {}

    transport = start(
        traces_sample_rate=1.0, integrations=[DjangoIntegration(signals_denylist=[order_placed])]
    )
    assert Client().post("/orders/", "item=tea", content_type=FORM).status_code == 201
    spans = _signal_spans(_one_transaction(transport))
    assert RECEIVER not in spans
    assert "django.db.reset_queries" in spans


@pytest.mark.parametrize("kind", ["form", "json"])
def test_form_and_json_bodies_reach_request_data_scrubbed(start: Start, kind: str) -> None:
    transport = start(traces_sample_rate=1.0, integrations=[DjangoIntegration()])
    order = {"item": "tea", "quantity": "2", "password": "hunter2"}
    client = Client()
    if kind == "form":
        response = client.post("/orders/", urlencode(order), content_type=FORM)
    else:
        response = client.post("/orders/", json.dumps(order), content_type="application/json")
    assert response.status_code == 201
    request = _one_transaction(transport)["request"]
    assert request["data"] == {"item": "tea", "quantity": "2", "password": "[Filtered]"}
    assert request["env"] == {"SERVER_NAME": "testserver", "SERVER_PORT": "80"}


@pytest.mark.parametrize(
    ("size", "sent"), [("never", False), ("small", False), ("medium", True), ("always", True)]
)
def test_max_request_body_size_decides_whether_the_body_is_sent(
    start: Start, size: str, sent: bool
) -> None:
    transport = start(
        traces_sample_rate=1.0, integrations=[DjangoIntegration()], max_request_body_size=size
    )
    note = "x" * 2_000  # over "small" (1 000 bytes), under "medium" (10 000)
    body = urlencode({"item": "tea", "note": note})
    assert Client().post("/orders/", body, content_type=FORM).status_code == 201
    request = _one_transaction(transport)["request"]
    assert ("data" in request) is sent
    if sent:
        assert request["data"] == {"item": "tea", "note": note}
