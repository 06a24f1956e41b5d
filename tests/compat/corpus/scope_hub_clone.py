"""Hub(Hub.current) in worker threads, the sentry_sdk 1.x threading recipe."""

import os
import threading
import warnings

import sentry_sdk
from sentry_sdk import Hub

warnings.simplefilter("ignore", DeprecationWarning)
sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def work(hub: Hub, name: str) -> None:
    with Hub(hub) as thread_hub:
        with thread_hub.push_scope() as scope:
            scope.set_tag("worker", name)
            thread_hub.capture_message(f"{name} finished")


threads = [threading.Thread(target=work, args=(Hub.current, f"w{i}")) for i in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
sentry_sdk.flush()
