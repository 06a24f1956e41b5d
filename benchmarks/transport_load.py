"""One side of the transport throughput benchmark, in its own process.

``python -m benchmarks.transport_load --impl scopetel|sentry_sdk --url URL ...`` builds
the SDK's own HTTP transport for a DSN on ``URL``, hands it ``--count`` transaction
envelopes at ``--rate`` per second (0: back to back), flushes, closes, and prints one
JSON line: what it measured on the application thread, the CPU its other threads (the
senders) spent per envelope, and the discards it still holds.

It imports only the standard library and the SDK it drives, so the sentry-sdk side can
run under another interpreter (see ``--sentry-python`` in ``transport_throughput``).
"""

import argparse
import contextlib
import json
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple, cast

SPANS = 10  # child spans per transaction: ~3 kB of JSON, gzipped to ~1 kB


def transaction(index: int) -> dict[str, Any]:
    """The transaction both SDKs send: the same fields, a fresh id per call."""
    trace_id = uuid.uuid4().hex
    start = time.time()
    spans = [
        {
            "trace_id": trace_id,
            "span_id": uuid.uuid4().hex[:16],
            "parent_span_id": "a" * 16,
            "op": "db.query",
            "description": f"SELECT * FROM items WHERE id = {n}",
            "start_timestamp": start + n * 0.001,
            "timestamp": start + n * 0.001 + 0.0005,
            "status": "ok",
            "origin": "manual",
            "data": {"db.system": "postgresql", "thread.name": "MainThread"},
        }
        for n in range(SPANS)
    ]
    return {
        "event_id": uuid.uuid4().hex,
        "type": "transaction",
        "transaction": f"/items/{index % 50}",
        "transaction_info": {"source": "route"},
        "start_timestamp": start,
        "timestamp": start + 0.02,
        "platform": "python",
        "environment": "production",
        "contexts": {
            "trace": {
                "trace_id": trace_id,
                "span_id": "a" * 16,
                "op": "http.server",
                "status": "ok",
                "origin": "manual",
            }
        },
        "spans": spans,
    }


class Side(NamedTuple):
    """How the load drives one SDK."""

    build: Callable[[dict[str, Any]], Any]  # payload -> the SDK's envelope
    capture: Callable[[Any], None]  # the transport's capture_envelope
    flush: Callable[[float], object]
    close: Callable[[float], object]
    pending: Callable[[], dict[str, int]]  # discards counted, not yet sent: "reason:category"


def _scopetel(dsn: str, pool_size: int | None) -> Side:
    from scopetel_exporter_sentry import Envelope, HttpTransport, Item

    # What scopetel.init builds: its default transport_queue_size is 1000.
    options: dict[str, Any] = {} if pool_size is None else {"pool_size": pool_size}
    transport = HttpTransport(dsn, max_queue_items=1000, **options)

    def build(payload: dict[str, Any]) -> Envelope:
        headers = {"event_id": payload["event_id"], "sent_at": "2026-01-01T00:00:00Z"}
        return Envelope(headers, [Item.from_json("transaction", payload)])

    def pending() -> dict[str, int]:
        counts = transport.client_reports.counts()
        return {f"{reason}:{category}": n for (reason, category), n in counts.items()}

    def close(timeout: float) -> None:
        transport.close(timeout)
        transport.flush(timeout)  # envelopes in flight at close are counted once answered

    return Side(build, transport.capture_envelope, transport.flush, close, pending)


def _sentry_sdk(dsn: str, queue_size: int | None) -> Side:
    import sentry_sdk
    from sentry_sdk.envelope import Envelope

    options: dict[str, Any] = {"default_integrations": False, "auto_enabling_integrations": False}
    if queue_size is not None:
        options["transport_queue_size"] = queue_size
    sentry_sdk.init(dsn=dsn, traces_sample_rate=1.0, **options)
    client = sentry_sdk.get_client()
    transport = client.transport
    assert transport is not None

    def build(payload: dict[str, Any]) -> Envelope:
        envelope = Envelope(headers={"event_id": payload["event_id"], "sent_at": "2026-01-01"})
        envelope.add_transaction(cast(Any, payload))  # sentry-sdk types it as its Event
        return envelope

    def pending() -> dict[str, int]:
        counts = dict(getattr(transport, "_discarded_events", {}))
        return {f"{reason}:{category}": n for (category, reason), n in counts.items()}

    def close(timeout: float) -> None:
        client.close(timeout=timeout)

    return Side(build, transport.capture_envelope, transport.flush, close, pending)


def _background_cpu() -> dict[int, float]:
    """CPU seconds so far of each running thread but the main one (0 where unsupported)."""
    seconds: dict[int, float] = {}
    for thread in threading.enumerate():
        if thread is threading.main_thread() or thread.ident is None:
            continue
        # No per-thread clocks (AttributeError), or the thread just ended (OSError).
        with contextlib.suppress(AttributeError, OSError):
            seconds[thread.ident] = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    return seconds


def run(args: argparse.Namespace) -> dict[str, Any]:
    dsn = args.url.replace("http://", "http://public@") + "/42"
    if args.impl == "scopetel":
        side = _scopetel(dsn, args.pool_size)
    else:
        side = _sentry_sdk(dsn, args.queue_size)
    payloads = [transaction(n) for n in range(args.count)]
    builds: list[float] = []
    costs: list[float] = []
    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    cpu_before = _background_cpu()
    started = time.perf_counter()
    for index, payload in enumerate(payloads):
        if interval:
            wait = started + index * interval - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        before = time.perf_counter()
        envelope = side.build(payload)
        built = time.perf_counter()
        side.capture(envelope)
        costs.append(time.perf_counter() - built)
        builds.append(built - before)
    captured = time.perf_counter()
    threads = threading.active_count() - 1
    side.flush(args.flush_timeout)  # sentry-sdk's returns None: it waited or timed out
    drained = time.perf_counter()
    cpu_after = _background_cpu()
    background = sum(cpu - cpu_before.get(ident, 0.0) for ident, cpu in cpu_after.items())
    pending = side.pending()
    side.close(args.close_timeout)
    return {
        "build_p50_us": 1e6 * statistics.median(builds),
        "capture_p50_us": 1e6 * statistics.median(costs),
        "capture_p99_us": 1e6 * statistics.quantiles(costs, n=100, method="inclusive")[98],
        "threads": threads,
        # CPU of every thread but the main one (the SDK's senders), per envelope produced.
        "background_cpu_us": 1e6 * background / max(args.count, 1),
        "capture_s": captured - started,
        "drained_s": drained - started,
        "pending": pending,  # after the flush
        "pending_after_close": side.pending(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--impl", choices=["scopetel", "sentry_sdk"], required=True)
    parser.add_argument("--url", required=True, help="the backend, http://127.0.0.1:PORT")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="per second; 0: a burst")
    parser.add_argument("--queue-size", type=int, default=None, help="sentry-sdk only")
    parser.add_argument("--pool-size", type=int, default=None, help="scopetel only")
    parser.add_argument("--flush-timeout", type=float, default=30.0)
    parser.add_argument("--close-timeout", type=float, default=2.0)
    print(json.dumps(run(parser.parse_args())), flush=True)


if __name__ == "__main__":
    main()
