"""Transport options from the configuration docs: proxies off, CA bundle, keep-alive."""

import os

import certifi
import sentry_sdk

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    http_proxy="",
    https_proxy="",
    ca_certs=certifi.where(),
    keep_alive=True,
    shutdown_timeout=5,
    transport_queue_size=100,
    send_client_reports=True,
)
sentry_sdk.capture_message("Transport configured")
sentry_sdk.flush()
