"""A fake Sentry + OTLP/HTTP backend on 127.0.0.1 for the failing-backend workload.

Run as ``python -m benchmarks.backend_server --mode MODE``: it prints ``PORT <n>``,
then answers

* ``POST /api/<project>/envelope/`` (Sentry envelopes, gzip or not) and
  ``POST /v1/traces`` (OTLP protobuf) according to ``MODE``: ``healthy`` (200),
  ``slow`` (200 after ``--delay`` seconds), ``429`` (with ``Retry-After`` and
  ``X-Sentry-Rate-Limits`` for every category) or ``503``;
* ``GET /stats``: what arrived, as JSON (see :class:`Stats`);
* ``POST /quit``: stop.

It stops by itself after ``--lifetime`` seconds. Items are counted as delivered when
the answer is (or, for a delayed answer, will be) 2xx, whether or not the client
still waits for it; so are client reports (a rejected one is the SDK's to count
again). An undecodable body is answered 400 and counted under ``bad_requests``.
"""

import argparse
import gzip
import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from benchmarks import wire

RATE_LIMIT_SECONDS = 60


class Stats:
    """Counts of what arrived; every method is called under ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # "sentry 200", "otlp 503", …
        self.delivered: Counter[str] = Counter()  # transaction, span, otlp_span, …
        self.reported: Counter[str] = Counter()  # client-report quantity "reason:category"
        self.bad_requests = 0

    def as_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "delivered": dict(self.delivered),
                "reported": dict(self.reported),
                "bad_requests": self.bad_requests,
            }


def _count_envelope(body: bytes, into: Counter[str], reported: Counter[str]) -> None:
    for headers, payload in wire.envelope_items(body):
        kind = str(headers.get("type"))
        if kind == "client_report":
            for entry in json.loads(payload).get("discarded_events", []):
                reported[f"{entry['reason']}:{entry['category']}"] += int(entry["quantity"])
            continue
        into[kind] += 1
        if kind == "transaction":
            into["span"] += 1 + len(json.loads(payload).get("spans", []))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, delayed ACKs stall
        # every keep-alive request by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer(200, json.dumps(self.server.stats.as_json()).encode())

    def do_POST(self) -> None:
        server, stats = self.server, self.server.stats
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/quit":
            server.stopping.set()
            self._answer(200, b"{}")
            return
        status = {"healthy": 200, "slow": 200, "429": 429, "503": 503}[server.mode]
        kind = "otlp" if self.path.startswith("/v1/traces") else "sentry"
        arrived: Counter[str] = Counter()
        reported: Counter[str] = Counter()
        try:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if kind == "otlp":
                arrived["otlp_span"] = len(wire.otlp_links([body]))
            else:
                _count_envelope(body, arrived, reported)
        except Exception:
            with stats.lock:
                stats.bad_requests += 1
            self._answer(400, b"{}")
            return
        with stats.lock:
            stats.requests[f"{kind} {status}"] += 1
            if status == 200:
                stats.delivered.update(arrived)
                stats.reported.update(reported)
        if server.mode == "slow":
            server.stopping.wait(server.delay)
        headers = {}
        if status == 429:
            headers = {
                "Retry-After": str(RATE_LIMIT_SECONDS),
                "X-Sentry-Rate-Limits": f"{RATE_LIMIT_SECONDS}::organization",
            }
        self._answer(status, b"{}", headers)

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client gave up waiting


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.delay = delay
        self.stats = Stats()
        self.stopping = threading.Event()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--mode", choices=["healthy", "slow", "429", "503"], default="healthy")
    parser.add_argument("--delay", type=float, default=2.0, help="seconds per slow answer")
    parser.add_argument("--lifetime", type=float, default=120.0, help="stop after this long")
    args = parser.parse_args()
    server = _Server(args.mode, args.delay)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    print(f"PORT {server.server_address[1]}", flush=True)
    deadline = time.monotonic() + args.lifetime
    while not server.stopping.wait(0.1) and time.monotonic() < deadline:
        pass
    server.stopping.set()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
