"""AsyncioIntegration: task spans, and a task's exception nobody awaited."""

import asyncio
import os

import sentry_sdk
from sentry_sdk.integrations.asyncio import AsyncioIntegration

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0, integrations=[AsyncioIntegration()]
)


async def download(name: str) -> str:
    await asyncio.sleep(0)
    return name


async def broken() -> None:
    raise ConnectionAbortedError("feed closed")


async def main() -> None:
    with sentry_sdk.start_transaction(op="task", name="fetch-feeds"):
        await asyncio.gather(download("a"), download("b"))
    task = asyncio.create_task(broken())
    await asyncio.sleep(0.05)
    del task


asyncio.run(main())
sentry_sdk.flush()
