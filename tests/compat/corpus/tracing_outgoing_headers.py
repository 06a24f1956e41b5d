"""Trace headers on outgoing requests (stdlib integration), and get_traceparent/get_baggage."""

import http.server
import os
import threading
import urllib.request
from typing import Any

import sentry_sdk

sentry_sdk.init(
    dsn=os.environ["SENTRY_DSN"],
    traces_sample_rate=1.0,
    trace_propagation_targets=["127.0.0.1"],
)
received: list[dict[str, str]] = []


class Backend(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        received.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Backend)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}/inventory"

with sentry_sdk.start_transaction(op="task", name="sync-inventory"):
    traceparent = sentry_sdk.get_traceparent() or ""
    baggage = sentry_sdk.get_baggage() or ""
    with urllib.request.urlopen(url) as answer:
        answer.read()
server.shutdown()

headers = received[0]
sentry_sdk.set_tag("sent_sentry_trace", headers.get("sentry-trace") == traceparent)
sentry_sdk.set_tag("sent_baggage", headers.get("baggage") == baggage)
sentry_sdk.set_tag("baggage_keys", ",".join(sorted(k.split("=")[0] for k in baggage.split(","))))
sentry_sdk.capture_message("Outgoing headers checked")
sentry_sdk.flush()
