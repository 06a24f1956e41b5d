"""ignore_errors by class and by name."""

import os

import sentry_sdk


class ClientDisconnected(Exception):
    pass


sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"], ignore_errors=[KeyboardInterrupt, "ClientDisconnected"]
)

for error in (ClientDisconnected("client went away"), KeyboardInterrupt(), OSError("real")):
    try:
        raise error
    except BaseException:
        sentry_sdk.capture_exception()
sentry_sdk.flush()
