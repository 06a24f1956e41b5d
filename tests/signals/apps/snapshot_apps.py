"""Applications that mount the asyncio snapshot route, each with a task parked in
``asyncio.sleep`` named ``parked-sleeper`` (see ``test_asyncio_http.py``)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from scopetel_instrumentation_stdlib.asyncio_snapshot_http import (
    aiohttp_snapshot,
    starlette_snapshot,
)
from starlette.applications import Starlette


async def parked() -> None:
    await asyncio.sleep(3600)


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    task = asyncio.create_task(parked(), name="parked-sleeper")
    yield
    task.cancel()


starlette_app = Starlette(lifespan=lifespan)
starlette_app.add_route("/_debug/asyncio", starlette_snapshot)


def aiohttp_app() -> Any:
    from aiohttp import web

    app = web.Application()
    app.router.add_get("/_debug/asyncio", aiohttp_snapshot)

    async def start(app: Any) -> None:
        app["parked"] = asyncio.create_task(parked(), name="parked-sleeper")

    app.on_startup.append(start)
    return app


if __name__ == "__main__":  # the loopback listener: a script that mounts nothing
    import scopetel

    scopetel.init()

    async def main() -> None:
        task = asyncio.create_task(parked(), name="parked-sleeper")
        print("ready", flush=True)
        await task

    asyncio.run(main())
