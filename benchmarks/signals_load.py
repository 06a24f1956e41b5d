"""One side of the logs-and-metrics benchmark, in its own process.

``python -m benchmarks.signals_load --impl scopetel|sentry_sdk --workload NAME
--records N --repeats R`` starts the SDK with logs on and a transport that serializes
every envelope to its wire bytes (nothing leaves the process), then times ``R``
repeats of ``N`` records followed by ``flush()``: the process's CPU time (every
thread, so the batch sender counts) per record. It prints one JSON line.

Workloads: ``logging`` (a ``logging`` record with one argument, sent as a Sentry log:
no other handler), ``logger`` (``sentry_sdk.logger.info`` with one parameter),
``metric`` (``sentry_sdk.metrics.count`` with one attribute).

It imports only the standard library and the SDK it drives, so the sentry-sdk side runs
under its own interpreter (``.venv-sentry-sdk``).
"""

import argparse
import gc
import json
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

DSN = "http://public@127.0.0.1:9/42"  # never contacted: the transport keeps the bytes


class Counter:
    """Counts what the transport was given: envelopes, entries, wire bytes."""

    def __init__(self) -> None:
        self.envelopes = 0
        self.bytes = 0


def start_scopetel(counter: Counter) -> Any:
    from scopetel_exporter_sentry.envelope import serialize_envelope

    import scopetel

    class Transport:
        def capture_envelope(self, envelope: Any) -> None:
            counter.envelopes += 1
            counter.bytes += len(serialize_envelope(envelope))

        def record_lost(self, reason: str, category: str, quantity: int = 1) -> None:
            raise AssertionError(f"lost {quantity} {category}: {reason}")

        def flush(self, timeout: float) -> bool:
            return True

        def close(self, timeout: float) -> None:
            pass

    scopetel.init(dsn=DSN, enable_logs=True, transport=Transport(), release="app@1.0.0")
    return scopetel


def start_sentry_sdk(counter: Counter) -> Any:
    import sentry_sdk
    from sentry_sdk.transport import Transport

    class CountingTransport(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            counter.envelopes += 1
            counter.bytes += len(envelope.serialize())

        def record_lost_event(self, reason: str, *args: Any, **kwargs: Any) -> None:
            raise AssertionError(f"lost: {reason}")

    sentry_sdk.init(dsn=DSN, enable_logs=True, transport=CountingTransport, release="app@1.0.0")
    return sentry_sdk


def workload(sdk: Any, name: str) -> Callable[[int], None]:
    if name == "logging":
        log = logging.getLogger("shop.orders")
        log.setLevel(logging.INFO)
        return lambda i: log.info("order %s paid", i)
    if name == "logger":
        return lambda i: sdk.logger.info("order {order_id} paid", order_id=i)
    if name == "metric":
        return lambda i: sdk.metrics.count("orders.placed", 1, attributes={"plan": "pro"})
    raise SystemExit(f"unknown workload {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=("scopetel", "sentry_sdk"), required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    counter = Counter()
    sdk = (start_scopetel if args.impl == "scopetel" else start_sentry_sdk)(counter)
    record = workload(sdk, args.workload)
    for index in range(args.records):  # warm-up: imports, caches, the sender thread
        record(index)
    sdk.flush()
    start_bytes = counter.bytes
    per_record: list[float] = []
    gc.collect()
    for _ in range(args.repeats):
        began = time.process_time_ns()
        for index in range(args.records):
            record(index)
        sdk.flush()
        per_record.append((time.process_time_ns() - began) / args.records)
    wire = (counter.bytes - start_bytes) / (args.records * args.repeats)
    print(
        json.dumps(
            {
                "ns_per_record": statistics.median(per_record),
                "min_ns": min(per_record),
                "max_ns": max(per_record),
                "bytes_per_record": wire,
            }
        )
    )


if __name__ == "__main__":
    main()
