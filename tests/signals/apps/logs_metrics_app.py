"""Logs and metrics from one process, configured by the environment only.

``python logs_metrics_app.py init``: ``scopetel.init()`` (``SENTRY_*`` variables);
``opentelemetry-instrument python logs_metrics_app.py instrument``: no ``init()``.
It logs through ``scopetel.logger``, ``logging`` and another instrumentation's
OpenTelemetry logger, records metrics, lets an event loop run (its lag is measured),
prints the trace id of its transaction, then flushes. With ``wait`` as a second
argument it then prints ``ready`` and waits for a line on stdin (a Prometheus scrape).
"""

import asyncio
import logging
import sys

from opentelemetry._logs import SeverityNumber, get_logger

import scopetel
from scopetel import logger, metrics

if sys.argv[1] == "init":
    scopetel.init()

shop = logging.getLogger("shop")
shop.setLevel(logging.INFO)
with scopetel.start_transaction(name="checkout", op="task") as transaction:
    logger.info("order {order_id} paid", order_id="or_1")
    shop.warning("stock low: %d left", 3)
    get_logger("other.library").emit(
        severity_number=SeverityNumber.ERROR, severity_text="ERROR", body="from elsewhere"
    )
    metrics.count("orders.placed", 1, attributes={"plan": "pro"})
    metrics.count("orders.placed", 2, attributes={"plan": "pro"})
    metrics.gauge("queue.depth", 7)
    metrics.distribution("cart.value", 42.5, unit="none")


async def idle() -> None:
    await asyncio.sleep(0.3)  # the loop-lag timer fires a few times


asyncio.run(idle())
print(transaction.trace_id, flush=True)
scopetel.flush(5)
if sys.argv[2:] == ["wait"]:
    print("ready", flush=True)
    sys.stdin.readline()
