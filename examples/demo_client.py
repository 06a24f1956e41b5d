"""Send the demo application its requests, all at once; standard library only.

    python examples/demo_client.py http://127.0.0.1:8000 [--rounds N] [--wait SECONDS]

Waits (up to ``--wait`` seconds) until the application accepts connections, then sends
``GET /fanout``, ``GET /stream`` and ``POST /checkout`` concurrently, ``--rounds`` times,
and prints one line per response. Exits 1 if an answer is not the expected one.
"""

import argparse
import socket
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

EXPECTED = [("GET", "/fanout", 200), ("GET", "/stream", 200), ("POST", "/checkout", 402)]


def wait_until_listening(base_url: str, timeout: float) -> bool:
    parts = urlsplit(base_url)
    address = (parts.hostname or "127.0.0.1", parts.port or 80)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(address, timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def call(base_url: str, method: str, path: str) -> tuple[int, str]:
    request = urllib.request.Request(
        base_url + path, method=method, data=b"" if method == "POST" else None
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("base_url", help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--wait", type=float, default=15.0, help="seconds to wait for the app")
    args = parser.parse_args()
    base_url = args.base_url.rstrip("/")
    if not wait_until_listening(base_url, args.wait):
        print(f"demo client: {base_url} did not start listening", file=sys.stderr)
        return 1
    failed = False
    with ThreadPoolExecutor(max_workers=len(EXPECTED)) as pool:
        for _ in range(args.rounds):
            futures = [pool.submit(call, base_url, method, path) for method, path, _ in EXPECTED]
            for (method, path, expected), future in zip(EXPECTED, futures, strict=True):
                status, body = future.result()
                failed |= status != expected
                shown = " ".join(body.split())
                print(f"  {method} {path} -> {status} {shown[:60]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
