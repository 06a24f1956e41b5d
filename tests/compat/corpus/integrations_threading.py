"""ThreadingIntegration(propagate_scope=True): spans and tags follow work into threads."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import sentry_sdk
from sentry_sdk.integrations.threading import ThreadingIntegration

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0,
    integrations=[ThreadingIntegration(propagate_scope=True)],
)


def resize(image: str) -> str:
    with sentry_sdk.start_span(op="image.resize", name=image):
        return image.upper()


with sentry_sdk.start_transaction(op="task", name="resize-gallery"):
    sentry_sdk.set_tag("gallery", "summer")
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(resize, ["a.jpg", "b.jpg", "c.jpg"]))
    thread = threading.Thread(target=resize, args=("cover.jpg",))
    thread.start()
    thread.join()


def fail_in_thread() -> None:
    sentry_sdk.capture_message("from a worker thread")


with sentry_sdk.isolation_scope():
    sentry_sdk.set_tag("request", "r-1")
    worker = threading.Thread(target=fail_in_thread)
    worker.start()
    worker.join()
sentry_sdk.flush()
