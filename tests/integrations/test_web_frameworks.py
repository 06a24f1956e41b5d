"""Django and Starlette through their integrations, in-process with the real frameworks:
``transaction_style`` names the transactions; errors are reported once, as unhandled."""

from typing import Any

import pytest

import scopetel
from scopetel.integrations.django import DjangoIntegration
from scopetel.integrations.starlette import StarletteIntegration
from tests.integrations.conftest import Start
from tests.support.django_settings import configure_django
from tests.support.relay import assert_valid_event

django = pytest.importorskip("django")
configure_django()

from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402


def order_detail(request: HttpRequest, order_id: int) -> JsonResponse:
    if order_id == 13:
        raise LookupError(f"order {order_id} was archived")
    return JsonResponse({"id": order_id})


urlpatterns = [path("orders/<int:order_id>/", order_detail)]


@pytest.fixture(autouse=True)
def urls() -> Any:
    """These URLs, whichever test module configured Django's settings first."""
    with override_settings(ROOT_URLCONF=__name__):
        yield


def _names(payloads: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((p["transaction"], p["transaction_info"]["source"]) for p in payloads)


@pytest.mark.parametrize(
    ("style", "name", "source"),
    [
        ("url", "/orders/{order_id}/", "route"),  # sentry_sdk's names: its integration given
        ("function_name", f"{__name__}.order_detail", "component"),
    ],
)
def test_django_transaction_style(start: Start, style: str, name: str, source: str) -> None:
    transport = start(
        traces_sample_rate=1.0, integrations=[DjangoIntegration(transaction_style=style)]
    )
    client = Client(raise_request_exception=False)
    assert client.get("/orders/7/").status_code == 200
    assert client.get("/orders/13/").status_code == 500
    scopetel.flush()
    assert _names(transport.transactions()) == [(name, source)] * 2
    (event,) = transport.events()
    assert (event["transaction"], event["transaction_info"]["source"]) == (name, source)
    assert event["exception"]["values"][-1]["mechanism"] == {"type": "django", "handled": False}
    for payload in (*transport.events(), *transport.transactions()):
        assert_valid_event(payload)


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({}, "GET /orders/<int:order_id>/"),  # no sentry_sdk integration: OpenTelemetry's
        ({"transaction_naming": "sentry"}, "/orders/{order_id}/"),
        ({"integrations": [DjangoIntegration()]}, "/orders/{order_id}/"),
        (
            {"integrations": [DjangoIntegration()], "transaction_naming": "route"},
            "GET /orders/<int:order_id>/",
        ),
    ],
)
def test_transaction_naming(start: Start, options: dict[str, Any], name: str) -> None:
    transport = start(traces_sample_rate=1.0, **options)
    client = Client(raise_request_exception=False)
    assert client.get("/orders/7/").status_code == 200
    assert client.get("/orders/13/").status_code == 500
    scopetel.flush()
    assert _names(transport.transactions()) == [(name, "route")] * 2
    (event,) = transport.events()
    assert event["transaction"] == name


def test_transaction_naming_rejects_an_unknown_value(start: Start) -> None:
    with pytest.raises(ValueError, match="transaction_naming"):
        start(transaction_naming="otel")


def test_django_integration_rejects_an_unknown_style() -> None:
    with pytest.raises(ValueError, match="transaction_style"):
        DjangoIntegration(transaction_style="endpoint")


async def item(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["item_id"]})


async def crash(request: Request) -> JSONResponse:
    raise RuntimeError("handler crashed")


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("url", [("/crash", "route"), ("/items/{item_id:int}", "route")]),
        ("endpoint", [(f"{__name__}.crash", "component"), (f"{__name__}.item", "component")]),
    ],
)
def test_starlette_transaction_style(
    start: Start, style: str, expected: list[tuple[str, str]]
) -> None:
    transport = start(
        traces_sample_rate=1.0, integrations=[StarletteIntegration(transaction_style=style)]
    )
    app = Starlette(routes=[Route("/items/{item_id:int}", item), Route("/crash", crash)])
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/items/5").status_code == 200
        assert client.get("/crash").status_code == 500
    scopetel.flush()
    assert _names(transport.transactions()) == expected
    (event,) = transport.events()
    assert (event["transaction"], event["transaction_info"]["source"]) == expected[0]
    assert event["exception"]["values"][-1]["mechanism"]["type"] == "starlette"
