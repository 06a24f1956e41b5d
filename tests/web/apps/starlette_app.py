"""A Starlette application with the test API (see ``appkit``), and a mounted sub-application.
``APP_CONTRIB_MIDDLEWARE=1``: instrumented with contrib's ``StarletteInstrumentor.instrument_app``
(under ``opentelemetry-instrument`` scopetel's layer replaces contrib's Starlette instrumentor)."""

import os
from pathlib import Path

import appkit
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route


async def tagged(request: Request) -> Response:
    return Response(appkit.tagged(request.path_params["rid"]), media_type="application/json")


async def stream(request: Request) -> Response:
    rid, n = request.path_params["rid"], request.path_params["n"]
    appkit.mark(rid)
    delay = appkit.delay_of(request.url.query)
    return StreamingResponse(appkit.chunks(rid, n, delay), media_type="text/plain")


async def astream(request: Request) -> Response:
    rid, n = request.path_params["rid"], request.path_params["n"]
    appkit.mark(rid)
    delay = appkit.delay_of(request.url.query)
    return StreamingResponse(appkit.achunks(rid, n, delay), media_type="text/plain")


async def file(request: Request) -> Response:
    appkit.mark(request.path_params["rid"])
    return FileResponse(Path(appkit.__file__))


async def error(request: Request) -> Response:
    appkit.mark(request.path_params["rid"])
    raise RuntimeError(f"boom {request.path_params['rid']}")


app = Starlette(
    routes=[
        Route("/tagged/{rid}/", tagged),
        Route("/stream/{rid}/{n:int}/", stream),
        Route("/astream/{rid}/{n:int}/", astream),
        Route("/file/{rid}/", file),
        Route("/error/{rid}/", error),
        Mount("/sub", routes=[Route("/tagged/{rid}/", tagged)]),
    ]
)
if os.environ.get("APP_CONTRIB_MIDDLEWARE") == "1":
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    StarletteInstrumentor.instrument_app(app)
