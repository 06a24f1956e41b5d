"""httpx (sync and async clients) inside a transaction: spans and trace headers."""

import asyncio
import http.server
import os
import threading
from typing import Any

import httpx
import sentry_sdk

sentry_sdk.init(dsn=os.environ["SENTRY_DSN"], traces_sample_rate=1.0)
headers_seen: list[str] = []


class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        headers_seen.append("sentry-trace" if self.headers.get("sentry-trace") else "none")
        self.send_response(200 if self.path == "/ok" else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_port}"


async def fetch_async() -> int:
    async with httpx.AsyncClient() as client:
        return (await client.get(base + "/ok")).status_code


with sentry_sdk.start_transaction(op="task", name="httpx-calls"):
    with httpx.Client() as client:
        client.get(base + "/ok")
        client.get(base + "/fail")
    asyncio.run(fetch_async())
server.shutdown()
sentry_sdk.set_tag("propagated", ",".join(headers_seen))
sentry_sdk.capture_message("httpx calls done")
sentry_sdk.flush()
