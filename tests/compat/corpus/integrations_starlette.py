"""A Starlette app under TestClient: StarletteIntegration options, errors and 5xx."""

import os

import sentry_sdk
from sentry_sdk.integrations.starlette import StarletteIntegration
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0,
    integrations=[
        StarletteIntegration(transaction_style="endpoint", failed_request_status_codes={503})
    ],
)


async def item(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["item_id"]})


async def crash(request: Request) -> PlainTextResponse:
    raise RuntimeError("handler crashed")


async def unavailable(request: Request) -> PlainTextResponse:
    return PlainTextResponse("down for maintenance", status_code=503)


app = Starlette(
    routes=[
        Route("/items/{item_id:int}", item),
        Route("/crash", crash),
        Route("/maintenance", unavailable),
    ]
)
with TestClient(app, raise_server_exceptions=False) as client:
    client.get("/items/5")
    client.get("/crash")
    client.get("/maintenance")
sentry_sdk.flush()
