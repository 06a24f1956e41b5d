"""An aiohttp application serving the test API (see ``appkit``), with routes.

``/stream/`` writes a ``StreamResponse`` from the handler; ``/astream/`` returns a
``web.Response`` whose body is an async generator (aiohttp iterates it after the
handler returned). ``/call/{rid}/?url=U`` calls ``U`` with an ``aiohttp.ClientSession``;
``/http500/{rid}/`` and ``/missing/{rid}/`` raise aiohttp's ``HTTPException``\\ s;
``/file/{rid}/`` is a ``FileResponse``; ``/sub/tagged/{rid}/`` is served by a
sub-application.

``gunicorn -k aiohttp.GunicornWebWorker aiohttp_app:app`` or
``python -m aiohttp.web aiohttp_app:make_app``; ``APP_INIT=1``: the module calls
``scopetel.init()`` (the sentry_sdk way, without ``opentelemetry-instrument``).
"""

import json
import os
from pathlib import Path
from typing import Any

import scopetel

if os.environ.get("APP_INIT") == "1":
    scopetel.init()

import aiohttp
import appkit
from aiohttp import web


async def tagged(request: web.Request) -> web.Response:
    return web.Response(body=appkit.tagged(request.match_info["rid"]))


async def stream(request: web.Request) -> web.StreamResponse:
    rid, n = request.match_info["rid"], int(request.match_info["n"])
    appkit.mark(rid)
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    async for chunk in appkit.achunks(rid, n, appkit.delay_of(request.query_string)):
        await response.write(chunk)
    await response.write_eof()
    return response


async def astream(request: web.Request) -> web.Response:
    rid, n = request.match_info["rid"], int(request.match_info["n"])
    appkit.mark(rid)
    body = appkit.achunks(rid, n, appkit.delay_of(request.query_string))
    return web.Response(body=body, content_type="text/plain")


async def error(request: web.Request) -> web.Response:
    rid = request.match_info["rid"]
    appkit.mark(rid)
    raise RuntimeError(f"boom {rid}")


async def http500(request: web.Request) -> web.Response:
    appkit.mark(request.match_info["rid"])
    raise web.HTTPInternalServerError(text="unavailable")


async def missing(request: web.Request) -> web.Response:
    appkit.mark(request.match_info["rid"])
    raise web.HTTPNotFound(text="no such thing")


async def file(request: web.Request) -> web.FileResponse:
    appkit.mark(request.match_info["rid"])
    return web.FileResponse(Path(appkit.__file__))


async def call(request: web.Request) -> web.Response:
    appkit.mark(request.match_info["rid"])
    async with aiohttp.ClientSession() as session, session.get(request.query["url"]) as answer:
        status = answer.status
    ids: dict[str, Any] = {**appkit.ids(), "status": status}
    return web.Response(text=json.dumps(ids), content_type="application/json")


def make_app(argv: object = None) -> web.Application:
    application = web.Application()
    application.add_routes(
        [
            web.get("/tagged/{rid}/", tagged),
            web.get("/stream/{rid}/{n}/", stream),
            web.get("/astream/{rid}/{n}/", astream),
            web.get("/error/{rid}/", error),
            web.get("/http500/{rid}/", http500),
            web.get("/missing/{rid}/", missing),
            web.get("/call/{rid}/", call),
            web.get("/file/{rid}/", file),
        ]
    )
    sub = web.Application()
    sub.add_routes([web.get("/tagged/{rid}/", tagged)])
    application.add_subapp("/sub/", sub)
    return application


app = make_app()
