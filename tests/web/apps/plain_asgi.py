"""An ASGI application without a framework (routes are plain paths), see ``appkit``.

A streamed body stops when the client disconnects (``receive`` is watched, as Starlette
does). ``APP_CONTRIB_MIDDLEWARE=1`` wraps it in contrib's ``OpenTelemetryMiddleware``.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import appkit

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def _stream(send: Send, receive: Receive, body: AsyncIterator[bytes]) -> None:
    async def produce() -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        async for chunk in body:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    producer, watcher = asyncio.create_task(produce()), asyncio.create_task(watch())
    done, pending = await asyncio.wait({producer, watcher}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in done:
        task.result()


async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    parts = scope["path"].strip("/").split("/")
    query = scope.get("query_string", b"").decode()
    if parts[0] == "tagged":
        await _respond(send, 200, appkit.tagged(parts[1]))
    elif parts[0] in ("stream", "astream"):
        appkit.mark(parts[1])
        await _stream(
            send, receive, appkit.achunks(parts[1], int(parts[2]), appkit.delay_of(query))
        )
    elif parts[0] == "error":
        appkit.mark(parts[1])
        raise RuntimeError(f"boom {parts[1]}")
    else:
        await _respond(send, 404, b"not found")


if os.environ.get("APP_CONTRIB_MIDDLEWARE") == "1":
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    application = OpenTelemetryMiddleware(application)
