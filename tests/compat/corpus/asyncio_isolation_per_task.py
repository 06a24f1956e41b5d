"""One isolation_scope per asyncio task, as an async worker handles jobs."""

import asyncio
import os

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


async def handle(job: str) -> None:
    with sentry_sdk.isolation_scope():
        sentry_sdk.set_tag("job", job)
        await asyncio.sleep(0.001)
        sentry_sdk.capture_message(f"handled {job}")


async def main() -> None:
    await asyncio.gather(*(handle(job) for job in ("resize", "email", "invoice")))


asyncio.run(main())
sentry_sdk.flush()
