"""Where an SDK spends the serving thread's time in a request: before the response's last
byte is handed to the server, or after it. A paced client waits only for the first part.

``.venv/bin/python benchmarks/request_phases.py [--rounds N] [--requests N] [--gap S]``

The FastAPI app of ``request_overhead`` (``benchmarks/apps``: 10 SQLAlchemy queries and
10 spans of its own per request, tracing at 100 %) is called in-process, without a
server or a socket, by ``--worker`` processes: ``none``, ``scopetel`` (under
``opentelemetry-instrument``, as users run it) and ``sentry_sdk`` (``.venv-sentry-sdk``),
all sending to one ``benchmarks.backend_server``. Each worker runs the app's lifespan,
warms up, then serves ``--requests`` requests one at a time with ``--gap`` seconds
between them (so the SDK's own threads are idle when the next one starts, as at 100
requests/s) and reports per request the serving thread's CPU time (``thread_time``)
before the last ``http.response.body`` message and after it, until the application
returned. Rounds alternate the variants. Printed: medians over rounds
<sub>min-max</sub>, and each SDK's added CPU before the last byte (its figure less
``none``'s) as a ratio of sentry-sdk's.

Why it exists: ``request_overhead`` finds scopetel's *paced* FastAPI overhead near 0.5x
sentry-sdk's while back to back it is near 0.35x. sentry-sdk finishes and serializes its
transaction in the serving thread once the response is sent; scopetel hands the finished
spans to its emitter thread. Back to back, sentry-sdk's after-part delays the next
request; paced, no client waits for it, and the ratio is that of the parts before the
last byte.
"""

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("none", "scopetel", "sentry_sdk")
SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/work",
    "raw_path": b"/work",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1")],
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 5555),
}


async def _serve(app: Any, requests: int, gap: float) -> tuple[list[float], list[float]]:
    """Per request: thread CPU (s) before the last body message, and after it."""
    before: list[float] = []
    after: list[float] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    for _ in range(requests):
        last: list[float] = []

        async def send(message: dict[str, Any], last: list[float] = last) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                last.append(time.thread_time())

        start = time.thread_time()
        await app(dict(SCOPE), receive, send)
        end = time.thread_time()
        before.append(last[0] - start)
        after.append(end - last[0])
        await asyncio.sleep(gap)
    return before, after


async def _worker(requests: int, gap: float) -> dict[str, float]:
    import fastapi_requests  # type: ignore[import-not-found]  # benchmarks/apps

    app = fastapi_requests.app
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await events.put({"type": "lifespan.startup"})

    async def lifespan_send(message: dict[str, Any]) -> None:
        return None

    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}}
    running = asyncio.create_task(app(lifespan, events.get, lifespan_send))
    await asyncio.sleep(0.05)
    await _serve(app, min(200, requests), gap)  # warm-up
    before, after = await _serve(app, requests, gap)
    running.cancel()
    return {
        "before_ms": statistics.median(before) * 1e3,
        "after_ms": statistics.median(after) * 1e3,
    }


def _run_worker(variant: str, dsn: str, args: argparse.Namespace) -> dict[str, float]:
    from benchmarks.request_overhead import BINS, clean_env

    bin_dir = BINS[variant]
    env = clean_env(BENCH_SDK=variant, SENTRY_RELEASE="bench@1.0.0")
    if variant != "none":
        env["SENTRY_DSN"] = dsn
    if variant == "scopetel":
        env["SENTRY_TRACES_SAMPLE_RATE"] = "1.0"
    command = [str(bin_dir / "python"), __file__, "--worker"]
    command += ["--requests", str(args.requests), "--gap", str(args.gap)]
    if variant == "scopetel":
        command.insert(0, str(bin_dir / "opentelemetry-instrument"))
    done = subprocess.run(
        command, env=env, cwd=ROOT / "benchmarks" / "apps", capture_output=True, text=True
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{variant} worker failed:\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(lines[-1]))


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} <sub>{min(values):.3f}-{max(values):.3f}</sub>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--gap", type=float, default=0.005, help="seconds between requests")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_worker(args.requests, args.gap))))
        return
    sys.path.insert(0, str(ROOT))
    from benchmarks.request_overhead import Backend

    backend = Backend()
    rows: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    try:
        for index in range(args.rounds):
            order = VARIANTS[index % 3 :] + VARIANTS[: index % 3]
            for variant in order:
                rows[variant].append(_run_worker(variant, backend.dsn, args))
    finally:
        backend.stop()
    added = {
        variant: [
            row["before_ms"] - base["before_ms"]
            for row, base in zip(rows[variant], rows["none"], strict=True)
        ]
        for variant in ("scopetel", "sentry_sdk")
    }
    print("| variant | CPU before the last byte (ms) | CPU after it (ms) | added before (ms) |")
    print("|---|---|---|---|")
    for variant in VARIANTS:
        before = [row["before_ms"] for row in rows[variant]]
        after = [row["after_ms"] for row in rows[variant]]
        extra = _cell(added[variant]) if variant in added else "—"
        print(f"| `{variant}` | {_cell(before)} | {_cell(after)} | {extra} |")
    ratios = [ours / theirs for ours, theirs in zip(*added.values(), strict=True) if theirs > 0]
    print(f"\nscopetel's added CPU before the last byte / sentry-sdk's: {_cell(ratios)}")


if __name__ == "__main__":
    main()
