"""A thread pool whose jobs each use their own isolation scope: no tag leaks between jobs."""

import os
from concurrent.futures import ThreadPoolExecutor

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def job(number: int) -> None:
    with sentry_sdk.isolation_scope() as scope:
        scope.set_tag("job", str(number))
        if number == 0:
            scope.set_tag("first", "yes")
        sentry_sdk.capture_message(f"job {number}")


with ThreadPoolExecutor(max_workers=1) as pool:
    list(pool.map(job, range(3)))
sentry_sdk.flush()
