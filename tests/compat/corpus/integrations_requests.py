"""requests (through the stdlib integration) with trace_propagation_targets."""

import http.server
import os
import threading
from typing import Any

import requests
import sentry_sdk

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0,
    trace_propagation_targets=[r"127\.0\.0\.1:\d+/internal"],
)
seen: dict[str, bool] = {}


class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        seen[self.path] = "sentry-trace" in self.headers
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_port}"

with sentry_sdk.start_transaction(op="task", name="requests-calls"):
    requests.get(base + "/internal/status", timeout=5)
    requests.get(base + "/public/status", timeout=5)
server.shutdown()
sentry_sdk.set_tags(
    {"internal_traced": seen["/internal/status"], "public_traced": seen["/public/status"]}
)
sentry_sdk.capture_message("requests done")
sentry_sdk.flush()
