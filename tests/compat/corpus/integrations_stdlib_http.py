"""The stdlib integration: http.client spans and breadcrumbs, subprocess spans."""

import contextlib
import http.server
import os
import subprocess
import sys
import threading
import urllib.request
from typing import Any

import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)


class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_port}"

with sentry_sdk.start_transaction(op="task", name="call-apis"):
    urllib.request.urlopen(base + "/users?page=2").close()
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(base + "/missing")
    subprocess.run([sys.executable, "-c", "pass"], check=True)
server.shutdown()
sentry_sdk.capture_message("APIs called")
sentry_sdk.flush()
