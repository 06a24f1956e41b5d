"""A FastAPI service: path parameters, a JSON body, failures of each kind, a streamed
response, and calls to the blog (``BLOG_URL``) with httpx and requests, so that one trace
crosses both services. ``uvicorn service:app``. ``SERVICE_INSTRUMENT_APP=1``: the
service instruments itself with contrib's ``FastAPIInstrumentor.instrument_app``, as
code written for plain OpenTelemetry does.
"""

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import requests
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sdk import sentry_sdk

BLOG_URL = os.environ.get("BLOG_URL", "http://127.0.0.1:5000")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start-up SQL, as many services run it (migrations, warm-up), outside any request."""
    connection = sqlite3.connect(":memory:")
    cursor = connection.cursor()
    cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")
    cursor.execute("SELECT count(*) FROM item")
    cursor.fetchone()
    yield
    connection.close()


app = FastAPI(lifespan=lifespan)
if os.environ.get("SERVICE_INSTRUMENT_APP") == "1":
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app)


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
    return {"item_id": item_id, "q": q}


@app.post("/items")
async def create_item(item: Item) -> dict[str, Any]:
    return {"id": 1, **item.model_dump()}


@app.get("/fail/{label}")
async def fail(label: str) -> None:
    sentry_sdk.set_tag("service.label", label)
    raise RuntimeError(f"service failed {label}")


@app.get("/http500/{label}")
async def http500(label: str) -> None:
    raise HTTPException(status_code=500, detail=f"upstream down {label}")


@app.get("/http404/{label}")
async def http404(label: str) -> None:
    raise HTTPException(status_code=404, detail=f"no such thing {label}")


@app.get("/stream/{n}")
async def stream(n: int) -> StreamingResponse:
    async def lines() -> AsyncIterator[bytes]:
        for index in range(n):
            await asyncio.sleep(0.01)
            yield f"line {index}\n".encode()

    return StreamingResponse(lines(), media_type="text/plain")


@app.get("/blog/{post_id}")
async def blog_post_async(post_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"{BLOG_URL}/{post_id}")
    return {"status": response.status_code, "post": response.json()}


@app.get("/blog-sync/{post_id}")
def blog_post_sync(post_id: int) -> dict[str, Any]:
    response = requests.get(f"{BLOG_URL}/{post_id}", timeout=5)
    return {"status": response.status_code, "post": response.json()}
