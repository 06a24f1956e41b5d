"""asyncio.gather of @trace coroutines under one transaction (no asyncio integration)."""

import asyncio
import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)


@sentry_sdk.trace(op="fetch")
async def fetch(page: int) -> int:
    await asyncio.sleep(0.001 * page)
    return page


async def main() -> None:
    with sentry_sdk.start_transaction(op="task", name="crawl"):
        await asyncio.gather(*(fetch(page) for page in range(3)))


asyncio.run(main())
sentry_sdk.flush()
