"""An exception that escapes a thread is reported by the threading integration."""

import os
import threading

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"])


def poll_inbox() -> None:
    raise TimeoutError("IMAP server did not answer")


worker = threading.Thread(target=poll_inbox, name="inbox-poller")
worker.start()
worker.join()
sentry_sdk.flush()
